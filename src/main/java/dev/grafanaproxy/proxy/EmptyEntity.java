package dev.grafanaproxy.proxy;

import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.DataStreamChannel;

import java.io.IOException;
import java.util.Set;

/** An explicit empty body ({@code Content-Length: 0}), as a client's empty POST is forwarded. */
enum EmptyEntity implements AsyncEntityProducer {
    INSTANCE;

    @Override public boolean isRepeatable() { return true; }
    @Override public void failed(Exception cause) { }
    @Override public long getContentLength() { return 0; }
    @Override public String getContentType() { return null; }
    @Override public String getContentEncoding() { return null; }
    @Override public boolean isChunked() { return false; }
    @Override public Set<String> getTrailerNames() { return null; }
    @Override public int available() { return 1; }
    @Override public void produce(DataStreamChannel channel) throws IOException { channel.endStream(); }
    @Override public void releaseResources() { }
}
