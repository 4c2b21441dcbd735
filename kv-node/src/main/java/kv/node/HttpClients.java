package kv.node;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;

/**
 * The node's OkHttp clients, which all share one dispatcher and one connection pool. OkHttp's
 * defaults keep 5 idle connections and run 5 calls per host at once; a coordinator forwarding
 * thousands of requests a second to a handful of peers needs far more of both, or it churns
 * connections (TIME_WAIT, handshakes) and queues calls.
 */
final class HttpClients {
  private static final int MAX_CALLS = 1024;
  private static final int MAX_CALLS_PER_PEER = 256;
  private static final int IDLE_CONNECTIONS = 256;

  private HttpClients() {}

  /** The shared dispatcher and pool, with {@code timeout} on every phase of a call. */
  static OkHttpClient base(Duration timeout) {
    Dispatcher dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(MAX_CALLS);
    dispatcher.setMaxRequestsPerHost(MAX_CALLS_PER_PEER);
    return new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .connectionPool(new ConnectionPool(IDLE_CONNECTIONS, 5, TimeUnit.MINUTES))
        .connectTimeout(timeout)
        .readTimeout(timeout)
        .writeTimeout(timeout)
        .callTimeout(timeout)
        .retryOnConnectionFailure(true)
        .build();
  }

  /**
   * Replica traffic: every request and answer also carries the member-list version, and every
   * answer's clock stamp is a sample of this node's clock offset.
   */
  static OkHttpClient forPeers(OkHttpClient base, Interceptor viewHeaders, Interceptor clock) {
    return base.newBuilder().addInterceptor(viewHeaders).addInterceptor(clock).build();
  }

  /** As the peers', but a range transfer carries many records, so it may take longer. */
  static OkHttpClient forSync(OkHttpClient peers, Duration peerTimeout) {
    Duration timeout = peerTimeout.multipliedBy(10);
    return peers
        .newBuilder()
        .readTimeout(timeout)
        .writeTimeout(timeout)
        .callTimeout(timeout)
        .build();
  }

  /** The seed may be slower to answer than a peer; its clock stamps are samples too. */
  static OkHttpClient forSeed(OkHttpClient base, Duration timeout, Interceptor clock) {
    return base.newBuilder()
        .connectTimeout(timeout)
        .readTimeout(timeout)
        .callTimeout(timeout)
        .addInterceptor(clock)
        .build();
  }
}
