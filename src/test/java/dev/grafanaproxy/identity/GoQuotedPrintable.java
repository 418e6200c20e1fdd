package dev.grafanaproxy.identity;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What Grafana makes of one header value when {@code [auth.proxy] headers_encoded = true}: Go's
 * header parser trims spaces and tabs at both ends, then {@code util.DecodeQuotedPrintable} runs
 * Go's {@code mime/quotedprintable} reader over it and keeps the value as it was if the reader fails.
 * A transliteration of that reader (go/src/mime/quotedprintable/reader.go) for a value without line
 * breaks, which is all a header value can be, including its 4096-byte {@code bufio} buffer.
 */
final class GoQuotedPrintable {
    private static final int BUFIO_SIZE = 4096;

    private GoQuotedPrintable() {
    }

    /** The UTF-8 text Grafana reads from a header whose wire string is {@code wire}. */
    static String grafanaReads(String wire) {
        byte[] v = trimOws(wire.getBytes(StandardCharsets.ISO_8859_1));
        byte[] decoded = decode(v);
        return new String(decoded == null ? v : decoded, StandardCharsets.UTF_8);
    }

    private static byte[] trimOws(byte[] b) {
        int s = 0;
        int e = b.length;
        while (s < e && (b[s] == ' ' || b[s] == '\t')) {
            s++;
        }
        while (e > s && (b[e - 1] == ' ' || b[e - 1] == '\t')) {
            e--;
        }
        return Arrays.copyOfRange(b, s, e);
    }

    /** Go's Reader over a single line; {@code null} where io.ReadAll would return an error. */
    static byte[] decode(byte[] in) {
        if (in.length >= BUFIO_SIZE) {
            return null; // ReadSlice('\n') fills the buffer without a delimiter: ErrBufferFull
        }
        int len = in.length;
        while (len > 0 && (in[len - 1] == '\n' || in[len - 1] == '\r' || in[len - 1] == ' ' || in[len - 1] == '\t')) {
            len--;
        }
        byte[] line = Arrays.copyOf(in, len);
        if (len > 0 && line[len - 1] == '=') {
            // soft line break: accepted at the very end only when something precedes it
            line = Arrays.copyOf(line, len - 1);
            if (line.length == 0) {
                return null;
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < line.length; i++) {
            int b = line[i] & 0xFF;
            if (b == '=') {
                int hi = i + 1 < line.length ? hex(line[i + 1]) : -1;
                int lo = i + 2 < line.length ? hex(line[i + 2]) : -1;
                if (hi < 0 || lo < 0) {
                    if (line.length - i >= 2 && line[i + 1] != '\r' && line[i + 1] != '\n') {
                        out.write('='); // "take the = as a literal ="
                        continue;
                    }
                    return null;
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (b == '\t' || b == '\r' || b == '\n' || b >= 0x80) {
                out.write(b);
            } else if (b < ' ' || b > '~') {
                return null;
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    private static int hex(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        return -1;
    }
}
