package dev.grafanaproxy.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Deterministic pseudo-random test content, identical in every JVM, generated at memory speed.
 *
 * <p>The content is a fixed 64 KiB block of xorshift output; block number {@code k} of the stream
 * (bytes {@code k*64Ki .. (k+1)*64Ki-1}) is that block rotated by an offset derived from {@code k}.
 * So a proxy that drops, duplicates or reorders whole 64 KiB pieces still changes the SHA-256,
 * while producing a block is a plain array copy (GB/s, no per-byte work).
 *
 * <p>Byte {@code i} of {@code stream(n)} is the same for every {@code n > i}: a prefix of a
 * longer stream is the shorter stream.
 */
public final class TestData {

    /** Size of the repeating block (64 KiB). */
    public static final int BLOCK_SIZE = 1 << 16;

    // The block twice in a row, so any rotation of it is one contiguous slice.
    private static final byte[] DOUBLED = new byte[2 * BLOCK_SIZE];
    private static final Map<Long, String> SHA_CACHE = new ConcurrentHashMap<>();

    static {
        long x = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < BLOCK_SIZE; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            for (int b = 0; b < 8; b++) {
                DOUBLED[i + b] = (byte) (x >>> (8 * b));
            }
        }
        System.arraycopy(DOUBLED, 0, DOUBLED, BLOCK_SIZE, BLOCK_SIZE);
    }

    private TestData() {
    }

    private static int rotation(long block) {
        long z = block * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L; // splitmix64 finaliser
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (int) ((z ^ (z >>> 31)) & (BLOCK_SIZE - 1));
    }

    /** The byte at {@code position} of the content. */
    public static byte byteAt(long position) {
        return DOUBLED[rotation(position >>> 16) + (int) (position & (BLOCK_SIZE - 1))];
    }

    /**
     * A read-only view of the content starting at {@code position}, at most {@code maxLength}
     * bytes and never crossing a 64 KiB block boundary (so it is at least 1 byte when
     * {@code maxLength > 0}). No copy is made: meant for servers that write it straight out.
     */
    public static ByteBuffer slice(long position, int maxLength) {
        int inBlock = (int) (position & (BLOCK_SIZE - 1));
        int len = Math.min(maxLength, BLOCK_SIZE - inBlock);
        return ByteBuffer.wrap(DOUBLED, rotation(position >>> 16) + inBlock, len).slice().asReadOnlyBuffer();
    }

    /** Copies {@code length} bytes of content starting at {@code position} into {@code dst[off..]}. */
    public static void copy(long position, byte[] dst, int off, int length) {
        while (length > 0) {
            int inBlock = (int) (position & (BLOCK_SIZE - 1));
            int n = Math.min(length, BLOCK_SIZE - inBlock);
            System.arraycopy(DOUBLED, rotation(position >>> 16) + inBlock, dst, off, n);
            position += n;
            off += n;
            length -= n;
        }
    }

    /** The first {@code length} bytes of the content as a new array (for small bodies only). */
    public static byte[] bytes(int length) {
        byte[] b = new byte[length];
        copy(0, b, 0, length);
        return b;
    }

    /** A fresh stream of the first {@code length} bytes of the content; constant memory. */
    public static InputStream stream(long length) {
        return stream(0, length);
    }

    /** A fresh stream of {@code length} bytes of the content starting at {@code offset}. */
    public static InputStream stream(long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must be >= 0");
        }
        return new InputStream() {
            private long pos = offset;
            private final long end = offset + length;

            @Override
            public int read() {
                return pos < end ? byteAt(pos++) & 0xFF : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (pos >= end) {
                    return -1;
                }
                int n = (int) Math.min(len, end - pos);
                copy(pos, b, off, n);
                pos += n;
                return n;
            }

            @Override
            public long skip(long n) {
                long k = Math.max(0, Math.min(n, end - pos));
                pos += k;
                return k;
            }

            @Override
            public int available() {
                return (int) Math.min(Integer.MAX_VALUE, end - pos);
            }
        };
    }

    /** Lower-case hex SHA-256 of {@code stream(length)}; computed once per length, then cached. */
    public static String sha256(long length) {
        return SHA_CACHE.computeIfAbsent(length, n -> sha256(stream(n)));
    }

    /** Lower-case hex SHA-256 of everything left in {@code in} (read to the end, not closed). */
    public static String sha256(InputStream in) {
        MessageDigest md = newSha256();
        byte[] buf = new byte[BLOCK_SIZE];
        try {
            for (int n; (n = in.read(buf)) != -1; ) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Lower-case hex SHA-256 of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(newSha256().digest(bytes));
    }

    /** A new SHA-256 {@link MessageDigest} (always available in the JDK). */
    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
