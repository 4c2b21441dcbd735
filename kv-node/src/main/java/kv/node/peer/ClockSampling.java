package kv.node.peer;

import java.io.IOException;
import java.time.Clock;
import java.util.function.Function;
import kv.common.http.ClockHeader;
import kv.node.version.ClockOffsets;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Measures this node's clock against the other side's on every call that comes back with an {@link
 * ClockHeader} stamp: the send and receive times by this node's clock, and the stamp, make one
 * {@link ClockOffsets} sample for the source that {@code source} names (null: a call not to sample,
 * one the other side holds on purpose).
 */
public final class ClockSampling implements Interceptor {
  private final Clock clock;
  private final ClockOffsets offsets;
  private final Function<Request, String> source;

  public ClockSampling(Clock clock, ClockOffsets offsets, Function<Request, String> source) {
    this.clock = clock;
    this.offsets = offsets;
    this.source = source;
  }

  /** Samples named after the peer's address. */
  public static ClockSampling ofPeers(Clock clock, ClockOffsets offsets) {
    return new ClockSampling(
        clock, offsets, request -> request.url().host() + ":" + request.url().port());
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    long sent = clock.millis();
    Response response = chain.proceed(chain.request());
    long received = clock.millis();
    String from = source.apply(chain.request());
    if (from != null) {
      ClockHeader.parse(response.header(ClockHeader.NAME))
          .ifPresent(theirs -> offsets.sample(from, sent, received, theirs));
    }
    return response;
  }
}
