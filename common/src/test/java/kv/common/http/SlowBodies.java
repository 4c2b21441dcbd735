package kv.common.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Many connections that each send a request's line and headers at once and then its body one byte
 * per {@code every}, as a slow (or hostile) client does; one thread sends for all of them. The
 * answers are read afterwards: a server that answers and closes leaves them in the sockets.
 */
public final class SlowBodies implements AutoCloseable {
  private final ScheduledExecutorService dribbler =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "slow-bodies"));
  private final List<Socket> sockets = new ArrayList<>();

  private SlowBodies() {}

  /**
   * {@code head} is the request line and headers, Content-Length included, without the blank line.
   */
  public static SlowBodies open(int port, int count, String head, Duration every)
      throws IOException {
    SlowBodies slow = new SlowBodies();
    byte[] bytes = (head + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < count; i++) {
      Socket socket = new Socket("127.0.0.1", port);
      slow.sockets.add(socket);
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
    }
    slow.dribbler.scheduleWithFixedDelay(slow::dribble, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    return slow;
  }

  private void dribble() {
    for (Socket socket : sockets) {
      try {
        socket.getOutputStream().write('x');
        socket.getOutputStream().flush();
      } catch (IOException closedByTheServer) {
        // it answered and closed: what these connections are for
      }
    }
  }

  /**
   * What each connection received until the server closed it, waiting at most {@code timeout} in
   * all.
   */
  public List<String> answers(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> answers = new ArrayList<>();
    for (Socket socket : sockets) {
      answers.add(readToEnd(socket, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
    }
    return answers;
  }

  private static String readToEnd(Socket socket, long millis) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, millis));
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[4096];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        bytes.write(buffer, 0, n);
      }
    } catch (SocketTimeoutException stillOpen) {
      // not answered in time: the caller sees what arrived, possibly nothing
    } catch (SocketException reset) {
      // closed with our unread bytes pending: the kernel resets instead of a clean FIN
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    dribbler.shutdownNow();
    for (Socket socket : sockets) {
      try {
        socket.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
