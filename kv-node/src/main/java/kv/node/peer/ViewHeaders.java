package kv.node.peer;

import java.io.IOException;
import kv.common.Endpoint;
import kv.node.protocol.ReplicaHeaders;
import kv.node.protocol.ViewExchange;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Puts this node's view version (and address) on every node-to-node request and reads the peer's
 * from every answer, so each exchange, whatever it carries, also spreads membership changes.
 */
public final class ViewHeaders implements Interceptor {
  private final ViewExchange exchange;

  public ViewHeaders(ViewExchange exchange) {
    this.exchange = exchange;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request.Builder request =
        chain.request().newBuilder().header(ReplicaHeaders.VIEW, Long.toString(exchange.version()));
    exchange.self().ifPresent(self -> request.header(ReplicaHeaders.FROM, self.toString()));
    Response response = chain.proceed(request.build());
    String version = response.header(ReplicaHeaders.VIEW);
    if (version != null) {
      try {
        exchange.heard(
            Long.parseLong(version),
            new Endpoint(chain.request().url().host(), chain.request().url().port()));
      } catch (IllegalArgumentException e) { // NumberFormatException is one
        // a peer that sends junk here is broken, not to be believed; its answer stands on its own
      }
    }
    return response;
  }
}
