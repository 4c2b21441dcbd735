package kv.node.docker;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * The condition behind {@link DockerTest}. Unlike {@code @Testcontainers(disabledWithoutDocker =
 * true)}, it never skips where Docker tests are required, so a CI machine that lost its Docker
 * engine fails the build instead of passing it with the Docker tests quietly skipped.
 */
final class DockerAvailableCondition implements ExecutionCondition {
  static final String REQUIRED_PROPERTY = "docker.tests.required";

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (required(System.getenv("CI"), System.getProperty(REQUIRED_PROPERTY))) {
      return ConditionEvaluationResult.enabled(
          "Docker tests are required here (CI=true or -D" + REQUIRED_PROPERTY + "=true)");
    }
    if (DockerClientFactory.instance().isDockerAvailable()) {
      return ConditionEvaluationResult.enabled("a Docker engine is reachable");
    }
    return ConditionEvaluationResult.disabled(
        "no Docker engine is reachable, so the Docker tests"
            + " are skipped (they are mandatory with CI=true or -D"
            + REQUIRED_PROPERTY
            + "=true)");
  }

  /** Whether Docker tests must run, given the {@code CI} variable and the system property. */
  static boolean required(String ciVariable, String requiredProperty) {
    return "true".equalsIgnoreCase(ciVariable) || "true".equalsIgnoreCase(requiredProperty);
  }
}
