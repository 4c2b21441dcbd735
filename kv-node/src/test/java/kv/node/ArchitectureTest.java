package kv.node;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The packages are the architecture: each layer may use the ones below it and never one above, so a
 * newcomer can read the node from the bottom up. Fails as soon as a class reaches upwards.
 */
class ArchitectureTest {
  /** Lowest first. Each may depend on those before it. */
  static final List<String> LAYERS =
      List.of(
          "version", // versions, hybrid clock, clock bounds
          "ring", // token ring, member-list snapshots, token ranges
          "storage", // storage engines, hint stores
          "protocol", // node-to-node operations, replies, codecs, headers, client interfaces
          "peer", // the HTTP (OkHttp) implementations of the protocol's clients
          "handoff", // hints: stored, delivered
          "replica", // this node as a replica: reads and accepts records from outside
          "replication", // this node as a coordinator: quorums, read repair, sloppy quorum
          "sync", // rebalancing and anti-entropy
          "membership", // the seed's list: register, heartbeat, watch, gossip
          "api"); // HTTP routes (Javalin)

  private static final JavaClasses NODE =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("kv.node");

  @Test
  void noPackageDependsOnALayerAboveIt() {
    LayeredArchitecture layers =
        Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers();
    for (String layer : LAYERS) {
      layers = layers.layer(layer).definedBy("kv.node." + layer + "..");
    }
    layers = layers.layer("root").definedBy("kv.node");
    for (int i = 0; i < LAYERS.size(); i++) {
      List<String> above = LAYERS.subList(i + 1, LAYERS.size());
      String[] callers =
          java.util.stream.Stream.concat(above.stream(), java.util.stream.Stream.of("root"))
              .toArray(String[]::new);
      layers = layers.whereLayer(LAYERS.get(i)).mayOnlyBeAccessedByLayers(callers);
    }
    layers.whereLayer("root").mayNotBeAccessedByAnyLayer().check(NODE);
  }

  @Test
  void onlyTheRoutesAndTheCompositionRootKnowJavalin() {
    noClasses()
        .that()
        .resideOutsideOfPackages("kv.node.api..", "kv.node")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.javalin..")
        .check(NODE);
  }

  @Test
  void onlyPeersMembershipAndTheCompositionRootKnowOkHttp() {
    noClasses()
        .that()
        .resideOutsideOfPackages("kv.node.peer..", "kv.node.membership..", "kv.node")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("okhttp3..")
        .check(NODE);
  }
}
