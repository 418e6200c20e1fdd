package dev.grafanaproxy.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/** A set of address ranges in CIDR notation ({@code 10.0.0.0/8}, {@code ::1/128}, or a bare address). */
public final class CidrSet {
    private final List<byte[]> networks = new ArrayList<>();
    private final List<Integer> prefixes = new ArrayList<>();
    private final String text;

    private CidrSet(String text) {
        this.text = text;
    }

    /** @throws IllegalArgumentException on anything that is not a list of literal addresses with optional prefixes */
    public static CidrSet parse(String text) {
        CidrSet set = new CidrSet(text);
        for (String part : text.split("[\\s,]+")) {
            if (part.isEmpty()) {
                continue;
            }
            int slash = part.indexOf('/');
            String addr = slash < 0 ? part : part.substring(0, slash);
            byte[] bytes = literal(addr);
            int prefix = slash < 0 ? bytes.length * 8 : Integer.parseInt(part.substring(slash + 1));
            if (prefix < 0 || prefix > bytes.length * 8) {
                throw new IllegalArgumentException("prefix out of range: " + part);
            }
            set.networks.add(bytes);
            set.prefixes.add(prefix);
        }
        return set;
    }

    /** Whether a literal address (as {@code getRemoteAddr()} gives it) lies in one of the ranges. */
    public boolean contains(String address) {
        byte[] a;
        try {
            a = literal(address);
        } catch (IllegalArgumentException e) {
            return false;
        }
        for (int i = 0; i < networks.size(); i++) {
            byte[] n = networks.get(i);
            if (n.length == a.length && matches(n, a, prefixes.get(i))) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(byte[] net, byte[] addr, int prefix) {
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (net[i] != addr[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF << (8 - rest)) & 0xFF;
        return (net[full] & mask) == (addr[full] & mask);
    }

    /** Literal IPv4 or IPv6 only: never a DNS lookup. */
    private static byte[] literal(String s) {
        String a = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
        boolean v4 = a.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = a.contains(":") && a.matches("[0-9a-fA-F:.%a-zA-Z0-9]+");
        if (!v4 && !v6) {
            throw new IllegalArgumentException("not a literal address: " + s);
        }
        try {
            byte[] b = InetAddress.getByName(a).getAddress();
            // an IPv4-mapped IPv6 client address compares as IPv4
            if (b.length == 16 && isMappedV4(b)) {
                return new byte[] {b[12], b[13], b[14], b[15]};
            }
            return b;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not a literal address: " + s);
        }
    }

    private static boolean isMappedV4(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF;
    }

    @Override
    public String toString() {
        return text;
    }
}
