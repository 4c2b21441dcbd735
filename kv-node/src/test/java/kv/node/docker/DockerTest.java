package kv.node.docker;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that needs a Docker engine. It runs when one is reachable and is skipped when
 * none is, except where Docker tests are required ({@code CI=true} in the environment, or {@code
 * -Ddocker.tests.required=true}): there it runs, and fails loudly without Docker.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("docker")
@ExtendWith(DockerAvailableCondition.class)
@interface DockerTest {}
