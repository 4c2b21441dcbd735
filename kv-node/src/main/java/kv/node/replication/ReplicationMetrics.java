package kv.node.replication;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.CompletableFuture;
import kv.common.Futures;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;

/**
 * Counters of the coordinator's replica calls, {@code kv_replica_calls_total{op, replica,
 * outcome}}: {@code replica} is {@code local} or {@code remote} (a forwarded call), {@code outcome}
 * is {@code ok}, {@code timeout} (no answer in time) or {@code failed}; read repairs; and writes
 * placed again because a replica had a newer member list, {@code kv_writes_replaced_total{wait}}
 * ({@code client}: the client's answer waited for it; {@code background}: it had its quorum
 * already); and writes versioned again above a newer version a replica held, {@code
 * kv_writes_versioned_again_total}.
 */
public final class ReplicationMetrics {
  private final Counter[][][] calls = new Counter[2][2][3]; // [op][replica][outcome]
  private final Counter readRepairs;
  private final Counter replacedForClient;
  private final Counter replacedInBackground;
  private final Counter versionedAgain;

  public ReplicationMetrics(MeterRegistry registry) {
    String[] ops = {"read", "write"};
    String[] replicas = {"local", "remote"};
    String[] outcomes = {"ok", "timeout", "failed"};
    for (int o = 0; o < 2; o++) {
      for (int r = 0; r < 2; r++) {
        for (int x = 0; x < 3; x++) {
          calls[o][r][x] =
              Counter.builder("kv.replica.calls")
                  .description("Replica operations sent by this node as coordinator")
                  .tags("op", ops[o], "replica", replicas[r], "outcome", outcomes[x])
                  .register(registry);
        }
      }
    }
    this.readRepairs =
        Counter.builder("kv.read.repairs")
            .description("Replica writes sent by read repair")
            .register(registry);
    this.replacedForClient = replaced(registry, "client");
    this.replacedInBackground = replaced(registry, "background");
    this.versionedAgain =
        Counter.builder("kv.writes.versioned.again")
            .description("Writes versioned again above a newer version a replica held")
            .register(registry);
  }

  void versionedAgain() {
    versionedAgain.increment();
  }

  private static Counter replaced(MeterRegistry registry, String wait) {
    return Counter.builder("kv.writes.replaced")
        .description("Writes placed again because a replica had a newer member list")
        .tag("wait", wait)
        .register(registry);
  }

  void replaced(boolean clientWaits) {
    (clientWaits ? replacedForClient : replacedInBackground).increment();
  }

  <T> CompletableFuture<T> track(boolean write, Replica replica, CompletableFuture<T> call) {
    int op = write ? 1 : 0;
    int where = replica instanceof LocalReplica ? 0 : 1;
    call.whenComplete((answer, error) -> calls[op][where][outcome(error)].increment());
    return call;
  }

  void readRepair() {
    readRepairs.increment();
  }

  private static int outcome(Throwable error) {
    if (error == null) {
      return 0;
    }
    Throwable cause = Futures.unwrap(error);
    boolean timedOut = cause instanceof KvException kv && kv.code() == ErrorCode.TIMEOUT;
    return timedOut ? 1 : 2;
  }
}
