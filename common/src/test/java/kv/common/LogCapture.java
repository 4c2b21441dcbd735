package kv.common;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Collects what one class logs at WARN and above while open, for tests that assert on the log. */
public final class LogCapture implements AutoCloseable {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogCapture(String loggerName) {
    this.logger = (Logger) LoggerFactory.getLogger(loggerName);
    appender.start();
    logger.addAppender(appender);
  }

  public static LogCapture of(Class<?> source) {
    return new LogCapture(source.getName());
  }

  /** By logger name, for a class the test cannot see (package-private elsewhere). */
  public static LogCapture of(String loggerName) {
    return new LogCapture(loggerName);
  }

  /** The formatted messages logged at {@code level} or above, oldest first. */
  public List<String> messages(Level level) {
    synchronized (appender) { // AppenderBase.doAppend holds this lock while it appends
      return appender.list.stream()
          .filter(e -> e.getLevel().isGreaterOrEqual(level))
          .map(ILoggingEvent::getFormattedMessage)
          .toList();
    }
  }

  public List<String> warnings() {
    return messages(Level.WARN);
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
