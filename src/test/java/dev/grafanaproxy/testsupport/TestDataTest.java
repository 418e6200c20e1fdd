package dev.grafanaproxy.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TestDataTest {

    @Test
    void isTheSameInEveryJvm() {
        // Pinned: other tests and tools may rely on it; change only on purpose.
        assertThat(TestData.sha256(1000)).isEqualTo(TestData.sha256(TestData.bytes(1000)));
        assertThat(TestData.sha256(100_000)).isEqualTo(PINNED_100K);
    }

    private static final String PINNED_100K = "14dedfdecbb6e2054800185ec7da35d5bff9f4d691748ca620a62f57273ee031";

    @Test
    void aShorterStreamIsAPrefixOfALongerOne() throws Exception {
        byte[] longer = TestData.stream(300_000).readAllBytes();
        byte[] shorter = TestData.stream(70_000).readAllBytes();
        assertThat(longer).startsWith(shorter);
    }

    @Test
    void allAccessorsAgree() throws Exception {
        long n = 5 * TestData.BLOCK_SIZE + 123;
        byte[] all = TestData.stream(n).readAllBytes();
        assertThat(all).hasSize((int) n);
        Random rnd = new Random(1);
        for (int i = 0; i < 200; i++) {
            int pos = rnd.nextInt((int) n - 10);
            assertThat(TestData.byteAt(pos)).isEqualTo(all[pos]);
            ByteBuffer slice = TestData.slice(pos, 10_000);
            assertThat(slice.remaining()).isBetween(1, 10_000);
            assertThat(pos % TestData.BLOCK_SIZE + slice.remaining()).isLessThanOrEqualTo(TestData.BLOCK_SIZE);
            byte[] fromSlice = new byte[Math.min(slice.remaining(), (int) n - pos)];
            slice.get(fromSlice);
            byte[] copied = new byte[fromSlice.length];
            TestData.copy(pos, copied, 0, copied.length);
            byte[] expected = java.util.Arrays.copyOfRange(all, pos, pos + fromSlice.length);
            assertThat(fromSlice).isEqualTo(expected);
            assertThat(copied).isEqualTo(expected);
            try (InputStream at = TestData.stream(pos, 50)) {
                assertThat(at.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(all, pos, pos + 50));
            }
        }
        assertThat(TestData.sha256(new ByteArrayInputStream(all))).isEqualTo(TestData.sha256(n));
    }

    @Test
    void blocksDifferSoSwapsAreDetected() throws Exception {
        byte[] two = TestData.stream(2L * TestData.BLOCK_SIZE).readAllBytes();
        byte[] swapped = new byte[two.length];
        System.arraycopy(two, TestData.BLOCK_SIZE, swapped, 0, TestData.BLOCK_SIZE);
        System.arraycopy(two, 0, swapped, TestData.BLOCK_SIZE, TestData.BLOCK_SIZE);
        assertThat(TestData.sha256(swapped)).isNotEqualTo(TestData.sha256(two));
    }

    @Test
    void generatesFarFasterThan100MegabytesPerSecond() throws Exception {
        long n = 512L * 1024 * 1024;
        byte[] buf = new byte[64 * 1024];
        long start = System.nanoTime();
        long total = 0;
        try (InputStream in = TestData.stream(n)) {
            for (int r; (r = in.read(buf)) > 0; ) {
                total += r;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(total).isEqualTo(n);
        assertThat(n / seconds / 1e6).as("MB/s").isGreaterThan(500);
    }
}
