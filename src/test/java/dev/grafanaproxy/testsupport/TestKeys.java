package dev.grafanaproxy.testsupport;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.opts.AllowWeakRSAKey;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Keys and tokens for tests, all generated on the spot: RSA and EC key pairs (as Nimbus JWKs, private
 * half included), HMAC secrets, signed tokens with any claims and header, deliberately broken tokens,
 * and the PEM forms a {@code jwt.key_file} may take. Reused by the token unit tests and the
 * end-to-end tests; nothing here touches the proxy's own code.
 */
public final class TestKeys {
    /**
     * Every token and secret this class has handed out, so {@link LogLeakGuard} can prove none of
     * them ever appears in a log line.
     */
    public static final java.util.Set<String> ISSUED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static String issued(String value) {
        ISSUED.add(value);
        return value;
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private TestKeys() {
    }

    // --- keys ------------------------------------------------------------------------------

    /** A fresh RSA 2048 key with a random {@code kid}. */
    public static RSAKey rsa() {
        return rsa(2048, "rsa-" + shortId());
    }

    public static RSAKey rsa(String kid) {
        return rsa(2048, kid);
    }

    /** An RSA key of any size ({@code kid} may be {@code null}). */
    public static RSAKey rsa(int bits, String kid) {
        KeyPair kp = generate("RSA", bits, null);
        return new RSAKey.Builder((RSAPublicKey) kp.getPublic()).privateKey(kp.getPrivate())
                .keyID(kid).keyUse(KeyUse.SIGNATURE).build();
    }

    /** A fresh EC P-256 key with a random {@code kid}. */
    public static ECKey ec() {
        return ec(Curve.P_256, "ec-" + shortId());
    }

    public static ECKey ec(Curve curve, String kid) {
        KeyPair kp = generate("EC", 0, curve.getStdName());
        return new ECKey.Builder(curve, (ECPublicKey) kp.getPublic()).privateKey(kp.getPrivate())
                .keyID(kid).keyUse(KeyUse.SIGNATURE).build();
    }

    /** A random printable secret of {@code length} ASCII characters (as {@code jwt.secret} would hold). */
    public static String secret(int length) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return issued(sb.toString());
    }

    /** The JWK form of an HMAC secret, for {@link Jwt#sign(JWK)}. */
    public static OctetSequenceKey hmac(String secret) {
        return new OctetSequenceKey.Builder(secret.getBytes(StandardCharsets.UTF_8)).build();
    }

    private static KeyPair generate(String alg, int bits, String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(alg);
            if (curve != null) {
                g.initialize(new ECGenParameterSpec(curve));
            } else {
                g.initialize(bits);
            }
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    // --- tokens ----------------------------------------------------------------------------

    /** A token builder with {@code sub=alice}, {@code iat=now}, {@code exp=now+10m}. */
    public static Jwt jwt() {
        return new Jwt();
    }

    /** Builds and signs a token; every setter returns {@code this}. */
    public static final class Jwt {
        private final Map<String, Object> claims = new LinkedHashMap<>();
        private final Map<String, Object> header = new LinkedHashMap<>();
        private JWSAlgorithm alg;
        private String kid;
        private boolean kidSet;

        private Jwt() {
            Instant now = Instant.now();
            claims.put("sub", "alice");
            claims.put("iat", now.getEpochSecond());
            claims.put("exp", now.plus(Duration.ofMinutes(10)).getEpochSecond());
        }

        /** Sets a claim; {@code null} removes it. Instants become epoch seconds. */
        public Jwt claim(String name, Object value) {
            if (value == null) {
                claims.remove(name);
            } else {
                claims.put(name, value instanceof Instant ? ((Instant) value).getEpochSecond() : value);
            }
            return this;
        }

        public Jwt subject(String sub) {
            return claim("sub", sub);
        }

        public Jwt issuer(String iss) {
            return claim("iss", iss);
        }

        /** One value is written as a string, several as an array. */
        public Jwt audience(String... aud) {
            return claim("aud", aud.length == 1 ? aud[0] : List.of(aud));
        }

        public Jwt expiresAt(Instant exp) {
            return claim("exp", exp);
        }

        public Jwt expiresIn(Duration d) {
            return claim("exp", Instant.now().plus(d));
        }

        public Jwt notBefore(Instant nbf) {
            return claim("nbf", nbf);
        }

        public Jwt issuedAt(Instant iat) {
            return claim("iat", iat);
        }

        /** Any JOSE header parameter ({@code jku}, {@code jwk} as a JWK's JSON map, {@code typ}, ...). */
        public Jwt header(String name, Object value) {
            header.put(name, value);
            return this;
        }

        /** The algorithm; by default RS256, the ES algorithm of the key's curve, or HS256. */
        public Jwt alg(JWSAlgorithm alg) {
            this.alg = alg;
            return this;
        }

        /** The {@code kid}; by default the signing key's own. {@code null} leaves it out. */
        public Jwt kid(String kid) {
            this.kid = kid;
            this.kidSet = true;
            return this;
        }

        public Map<String, Object> claims() {
            return claims;
        }

        /** Signs with an RSA, EC or oct JWK (the private half must be present). */
        public String sign(JWK key) {
            JWSAlgorithm a = alg != null ? alg : defaultAlg(key);
            try {
                JWSSigner signer;
                if (key instanceof RSAKey) {
                    // weak keys allowed: tests sign with 1024-bit keys to show the verifier refuses them
                    signer = new RSASSASigner((RSAKey) key, Set.of(AllowWeakRSAKey.getInstance()));
                } else if (key instanceof ECKey) {
                    signer = new ECDSASigner((ECKey) key);
                } else {
                    signer = new MACSigner(((OctetSequenceKey) key).toByteArray());
                }
                return issued(signWith(signer, a, kidSet ? kid : key.getKeyID()));
            } catch (JOSEException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Signs HMAC with raw key bytes of any length (e.g. an RSA public key's encoding). */
        public String signHmac(byte[] keyBytes) {
            JWSAlgorithm a = alg != null ? alg : JWSAlgorithm.HS256;
            byte[] k = keyBytes;
            // MACSigner refuses keys shorter than 256 bits; an attack may want exactly those bytes anyway
            String header64 = base64url(headerJson(a, kidSet ? kid : null));
            String payload64 = base64url(JSONObjectUtils.toJSONString(claims));
            String input = header64 + "." + payload64;
            try {
                String macAlg = "Hmac" + "SHA" + a.getName().substring(2);
                javax.crypto.Mac mac = javax.crypto.Mac.getInstance(macAlg);
                mac.init(new javax.crypto.spec.SecretKeySpec(k, macAlg));
                return issued(input + "." + Base64URL.encode(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII))));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        /** An unsigned token: the header as given (e.g. {@code alg: "nOnE"}), an empty signature part. */
        public String unsigned(String algName) {
            Map<String, Object> h = new LinkedHashMap<>(header);
            h.put("alg", algName);
            return issued(base64url(JSONObjectUtils.toJSONString(h)) + "." + base64url(JSONObjectUtils.toJSONString(claims)) + ".");
        }

        private String signWith(JWSSigner signer, JWSAlgorithm a, String keyId) throws JOSEException {
            try {
                // JWSObject rather than SignedJWT: the payload is written exactly as given, not normalised
                JWSObject jws = new JWSObject(JWSHeader.parse(headerJson(a, keyId)), new Payload(JSONObjectUtils.toJSONString(claims)));
                jws.sign(signer);
                return jws.serialize();
            } catch (ParseException e) {
                throw new IllegalStateException(e);
            }
        }

        private String headerJson(JWSAlgorithm a, String keyId) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("alg", a.getName());
            h.put("typ", JOSEObjectType.JWT.getType());
            if (keyId != null) {
                h.put("kid", keyId);
            }
            h.putAll(header);
            return JSONObjectUtils.toJSONString(h);
        }

        private static JWSAlgorithm defaultAlg(JWK key) {
            if (key instanceof RSAKey) {
                return JWSAlgorithm.RS256;
            }
            if (key instanceof ECKey) {
                Curve c = ((ECKey) key).getCurve();
                return Curve.P_384.equals(c) ? JWSAlgorithm.ES384 : Curve.P_521.equals(c) ? JWSAlgorithm.ES512 : JWSAlgorithm.ES256;
            }
            return JWSAlgorithm.HS256;
        }
    }

    public static String base64url(String s) {
        return Base64URL.encode(s.getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** Replaces the payload of a signed token, keeping header and signature: a tampered token. */
    public static String withPayload(String token, Map<String, Object> claims) {
        String[] p = token.split("\\.", -1);
        return p[0] + "." + base64url(JSONObjectUtils.toJSONString(claims)) + "." + p[2];
    }

    /** The token without its signature ({@code header.payload.}). */
    public static String stripSignature(String token) {
        return token.substring(0, token.lastIndexOf('.') + 1);
    }

    // --- PEM -------------------------------------------------------------------------------

    public static String pem(String type, byte[] der) {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
    }

    /** {@code PUBLIC KEY}: PKIX SubjectPublicKeyInfo (what {@code openssl pkey -pubout} writes). */
    public static String pkixPem(JWK key) {
        return pem("PUBLIC KEY", publicKey(key).getEncoded());
    }

    /** {@code RSA PUBLIC KEY}: PKCS#1 {@code SEQUENCE {n, e}}. */
    public static String pkcs1PublicPem(RSAKey key) {
        try {
            RSAPublicKey pub = key.toRSAPublicKey();
            return pem("RSA PUBLIC KEY", Der.seq(Der.integer(pub.getModulus()), Der.integer(pub.getPublicExponent())));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code RSA PRIVATE KEY}: PKCS#1 RSAPrivateKey. */
    public static String pkcs1PrivatePem(RSAKey key) {
        try {
            RSAPrivateCrtKey k = (RSAPrivateCrtKey) key.toRSAPrivateKey();
            return pem("RSA PRIVATE KEY", Der.seq(Der.integer(BigInteger.ZERO), Der.integer(k.getModulus()),
                    Der.integer(k.getPublicExponent()), Der.integer(k.getPrivateExponent()), Der.integer(k.getPrimeP()),
                    Der.integer(k.getPrimeQ()), Der.integer(k.getPrimeExponentP()), Der.integer(k.getPrimeExponentQ()),
                    Der.integer(k.getCrtCoefficient())));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code PRIVATE KEY}: PKCS#8, as the JDK encodes it (for EC without the public point). */
    public static String pkcs8Pem(JWK key) {
        try {
            PrivateKey k = key instanceof RSAKey ? ((RSAKey) key).toPrivateKey() : ((ECKey) key).toPrivateKey();
            return pem("PRIVATE KEY", k.getEncoded());
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code EC PRIVATE KEY}: SEC1 / RFC 5915 with the named curve and, unless {@code withPublic} is
     * false, the public point (what {@code openssl ecparam -genkey} writes).
     */
    public static String sec1Pem(ECKey key, boolean withPublic) {
        try {
            ECPrivateKey priv = (ECPrivateKey) key.toPrivateKey();
            int size = (priv.getParams().getCurve().getField().getFieldSize() + 7) / 8;
            byte[] point = new byte[1 + 2 * size];
            point[0] = 0x04;
            System.arraycopy(fixed(key.getX().decodeToBigInteger(), size), 0, point, 1, size);
            System.arraycopy(fixed(key.getY().decodeToBigInteger(), size), 0, point, 1 + size, size);
            byte[] params = Der.tagged(0xA0, Der.oid(key.getCurve().getOID()));
            byte[] body = withPublic
                    ? Der.seq(Der.integer(BigInteger.ONE), Der.octets(fixed(priv.getS(), size)), params,
                            Der.tagged(0xA1, Der.bitString(point)))
                    : Der.seq(Der.integer(BigInteger.ONE), Der.octets(fixed(priv.getS(), size)), params);
            return pem("EC PRIVATE KEY", body);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code CERTIFICATE}: a self-signed X.509 v3 certificate for the key, valid for a day. */
    public static String certificatePem(JWK key) {
        try {
            boolean rsa = key instanceof RSAKey;
            PublicKey pub = publicKey(key);
            PrivateKey priv = rsa ? ((RSAKey) key).toPrivateKey() : ((ECKey) key).toPrivateKey();
            byte[] sigAlg = rsa ? Der.seq(Der.oid("1.2.840.113549.1.1.11"), new byte[] {0x05, 0x00})
                    : Der.seq(Der.oid("1.2.840.10045.4.3.2"));
            byte[] name = Der.seq(Der.set(Der.seq(Der.oid("2.5.4.3"), Der.tlv(0x0C, "grafana-proxy test".getBytes(StandardCharsets.UTF_8)))));
            DateTimeFormatter utc = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
            Instant now = Instant.now();
            byte[] validity = Der.seq(Der.tlv(0x17, utc.format(now.minus(Duration.ofHours(1))).getBytes(StandardCharsets.US_ASCII)),
                    Der.tlv(0x17, utc.format(now.plus(Duration.ofDays(1))).getBytes(StandardCharsets.US_ASCII)));
            byte[] tbs = Der.seq(Der.tagged(0xA0, Der.integer(BigInteger.TWO)), Der.integer(new BigInteger(63, RANDOM)),
                    sigAlg, name, validity, name, pub.getEncoded());
            Signature s = Signature.getInstance(rsa ? "SHA256withRSA" : "SHA256withECDSA");
            s.initSign(priv);
            s.update(tbs);
            return pem("CERTIFICATE", Der.seq(tbs, sigAlg, Der.bitString(s.sign())));
        } catch (JOSEException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static PublicKey publicKey(JWK key) {
        try {
            return key instanceof RSAKey ? ((RSAKey) key).toPublicKey() : ((ECKey) key).toPublicKey();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] fixed(BigInteger v, int size) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[size];
        int copy = Math.min(raw.length, size);
        System.arraycopy(raw, raw.length - copy, out, size - copy, copy);
        return out;
    }

    /** The few DER encodings the PEM forms above need. */
    static final class Der {
        private Der() {
        }

        static byte[] tlv(int tag, byte[] content) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(tag);
            int len = content.length;
            if (len < 0x80) {
                out.write(len);
            } else if (len < 0x100) {
                out.write(0x81);
                out.write(len);
            } else if (len < 0x10000) {
                out.write(0x82);
                out.write(len >> 8);
                out.write(len);
            } else {
                out.write(0x83);
                out.write(len >> 16);
                out.write(len >> 8);
                out.write(len);
            }
            out.writeBytes(content);
            return out.toByteArray();
        }

        static byte[] seq(byte[]... items) {
            return tlv(0x30, concat(items));
        }

        static byte[] set(byte[]... items) {
            return tlv(0x31, concat(items));
        }

        static byte[] tagged(int tag, byte[] inner) {
            return tlv(tag, inner);
        }

        static byte[] integer(BigInteger v) {
            return tlv(0x02, v.toByteArray());
        }

        static byte[] octets(byte[] v) {
            return tlv(0x04, v);
        }

        static byte[] bitString(byte[] v) {
            byte[] c = new byte[v.length + 1];
            System.arraycopy(v, 0, c, 1, v.length);
            return tlv(0x03, c);
        }

        static byte[] oid(String dotted) {
            String[] p = dotted.split("\\.");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(Integer.parseInt(p[0]) * 40 + Integer.parseInt(p[1]));
            for (int i = 2; i < p.length; i++) {
                long v = Long.parseLong(p[i]);
                int n = 0;
                byte[] tmp = new byte[10];
                do {
                    tmp[n++] = (byte) (v & 0x7F);
                    v >>>= 7;
                } while (v > 0);
                for (int j = n - 1; j >= 0; j--) {
                    out.write(tmp[j] | (j > 0 ? 0x80 : 0));
                }
            }
            return tlv(0x06, out.toByteArray());
        }

        private static byte[] concat(byte[]... items) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (byte[] i : items) {
                out.writeBytes(i);
            }
            return out.toByteArray();
        }
    }

    /** Seconds-resolution date helper for Nimbus claim builders. */
    public static Date date(Instant i) {
        return Date.from(i);
    }
}
