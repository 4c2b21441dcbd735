package kv.node.peer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Predicate;
import kv.common.Endpoint;
import kv.common.error.ErrorCode;
import kv.common.error.KvException;
import kv.common.wire.ErrorBody;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * One asynchronous call to another node, on the shared client's dispatcher and pool, turned into a
 * future: the answer the caller accepts becomes its result; anything else fails the future with a
 * {@link KvException}: {@code TIMEOUT} or {@code UNAVAILABLE} when the peer did not answer in time,
 * else the code from the peer's JSON error body (the same table the server rendered it with).
 */
final class PeerCalls {
  private final OkHttpClient client;
  private final ObjectMapper mapper;

  PeerCalls(OkHttpClient client, ObjectMapper mapper) {
    this.client = client;
    this.mapper = mapper;
  }

  <T> CompletableFuture<T> send(
      Endpoint peer,
      Request request,
      Predicate<Response> accepted,
      Function<Response, T> onAccepted) {
    CompletableFuture<T> result = new CompletableFuture<>();
    client
        .newCall(request)
        .enqueue(
            new Callback() {
              @Override
              public void onFailure(Call call, IOException e) {
                ErrorCode code =
                    e instanceof InterruptedIOException ? ErrorCode.TIMEOUT : ErrorCode.UNAVAILABLE;
                result.completeExceptionally(new KvException(code, didNotAnswer(peer, e)));
              }

              @Override
              public void onResponse(Call call, Response response) {
                try (response) {
                  if (accepted.test(response)) {
                    result.complete(onAccepted.apply(response));
                  } else {
                    result.completeExceptionally(failure(peer, response));
                  }
                } catch (RuntimeException e) {
                  result.completeExceptionally(e);
                }
              }
            });
    return result;
  }

  /**
   * Says in words what went wrong: a timeout names the limit, not {@code InterruptedIOException}.
   */
  private String didNotAnswer(Endpoint peer, IOException e) {
    if (e instanceof InterruptedIOException) {
      long limit = client.callTimeoutMillis();
      return "node at "
          + peer
          + " did not answer within "
          + (limit > 0 ? limit + " ms (the call timeout)" : "the read timeout");
    }
    if (e instanceof ConnectException) {
      return "node at " + peer + " refused the connection (not running, or not yet listening)";
    }
    return "node at " + peer + " did not answer: " + e.getMessage();
  }

  static byte[] body(Response response) {
    try {
      return response.body().bytes();
    } catch (IOException e) {
      throw new KvException(ErrorCode.UNAVAILABLE, "reading a peer's answer failed: " + e);
    }
  }

  private KvException failure(Endpoint peer, Response response) {
    try {
      ErrorBody body = mapper.readValue(body(response), ErrorBody.class);
      ErrorCode code = ErrorCode.fromWire(body.error()).orElse(ErrorCode.UNAVAILABLE);
      return new KvException(code, "node at " + peer + ": " + body.message());
    } catch (IOException | RuntimeException e) {
      return new KvException(
          ErrorCode.UNAVAILABLE,
          "node at " + peer + " answered " + response.code() + " without an error body");
    }
  }
}
