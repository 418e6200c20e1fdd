package dev.grafanaproxy.token;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.util.X509CertUtils;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import javax.crypto.KeyAgreement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the one public key of a PEM file in the forms Grafana's {@code [auth.jwt] key_file} takes:
 * {@code PUBLIC KEY} (PKIX), {@code RSA PUBLIC KEY} (PKCS#1), {@code CERTIFICATE} (X.509, the first
 * of a chain), and the private forms {@code EC PRIVATE KEY} (SEC1), {@code RSA PRIVATE KEY} (PKCS#1)
 * and {@code PRIVATE KEY} (PKCS#8), of which only the public half is kept. Nimbus' own PEM reader
 * needs BouncyCastle, which this WAR does not ship; the JDK handles PKIX and certificates, and the
 * other forms are a few fixed DER structures, read by {@link Der} below.
 *
 * <p>{@link #parsePrivate} reads the private forms whole, for the key that signs the tokens the
 * proxy mints for Grafana ({@code grafana.jwt_signing_key_file}).
 */
public final class PemKeys {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);

    private static final String OID_RSA = "1.2.840.113549.1.1.1";
    private static final String OID_EC = "1.2.840.10045.2.1";

    /** What was read: the key, and whether the file held private material (worth a warning). */
    record Result(PublicKey key, String form, boolean fromPrivateKey) {
    }

    /**
     * A private key read from PEM with its public half.
     *
     * @param form what the file held, e.g. {@code PKCS#8 private key}, for log lines
     */
    public record PrivatePem(PrivateKey privateKey, PublicKey publicKey, String form) {
        @Override
        public String toString() {
            return "PrivatePem[" + form + ", " + publicKey.getAlgorithm() + "]"; // never the key material
        }
    }

    private PemKeys() {
    }

    /**
     * Reads one RSA or EC private key with its public half: {@code PRIVATE KEY} (PKCS#8), {@code RSA
     * PRIVATE KEY} (PKCS#1) or {@code EC PRIVATE KEY} (SEC1, optionally after an {@code EC
     * PARAMETERS} block). When an EC key comes without its public point (the JDK's own PKCS#8
     * encoding leaves it out), the point is derived from the private scalar.
     *
     * @throws IllegalArgumentException with a message fit for a start-up error (no key material)
     */
    public static PrivatePem parsePrivate(String pem) {
        List<String[]> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(pem);
        while (m.find()) {
            if (!m.group(1).equals("EC PARAMETERS")) {
                blocks.add(new String[] {m.group(1), m.group(2)});
            }
        }
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("holds no PEM block (-----BEGIN ...-----)");
        }
        if (blocks.size() > 1) {
            throw new IllegalArgumentException("holds " + blocks.size() + " PEM blocks; give exactly one private key");
        }
        String type = blocks.get(0)[0];
        String body = blocks.get(0)[1];
        if (body.contains("Proc-Type:") || type.contains("ENCRYPTED")) {
            throw new IllegalArgumentException("holds an encrypted private key; store it unencrypted "
                    + "(openssl pkey -in encrypted.pem -out key.pem) and protect the file with its permissions");
        }
        if (type.equals("PUBLIC KEY") || type.equals("RSA PUBLIC KEY") || type.equals("CERTIFICATE")) {
            throw new IllegalArgumentException("holds a " + type + " block; a signing key needs the private key "
                    + "(PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(body.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the " + type + " block is not valid base64");
        }
        try {
            switch (type) {
                case "PRIVATE KEY":
                    return pkcs8Private(der);
                case "RSA PRIVATE KEY":
                    return rsaPkcs1PrivatePem(der);
                case "EC PRIVATE KEY": {
                    Sec1 k = Sec1.read(der, null);
                    return k.toPem("SEC1 EC private key");
                }
                default:
                    throw new IllegalArgumentException("holds a " + type + " block; expected PRIVATE KEY, "
                            + "RSA PRIVATE KEY or EC PRIVATE KEY");
            }
        } catch (GeneralSecurityException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("the " + type + " block is not a valid RSA or EC private key");
        }
    }

    private static PrivatePem pkcs8Private(byte[] der) throws GeneralSecurityException {
        List<Der> seq = Der.read(der).children();
        List<Der> algId = seq.get(1).children();
        String oid = algId.get(0).oid();
        if (oid.equals(OID_RSA)) {
            RSAPrivateCrtKey priv = (RSAPrivateCrtKey) KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
            return new PrivatePem(priv, rsa(priv.getModulus(), priv.getPublicExponent()), "PKCS#8 private key");
        }
        if (oid.equals(OID_EC)) {
            return Sec1.read(seq.get(2).content(), algId.size() > 1 ? algId.get(1).oid() : null).toPem("PKCS#8 private key");
        }
        throw new IllegalArgumentException("holds a private key of another type (OID " + oid + "); expected RSA or EC");
    }

    /** RSAPrivateKey ::= SEQUENCE { version, n, e, d, p, q, dP, dQ, qInv } */
    private static PrivatePem rsaPkcs1PrivatePem(byte[] der) throws GeneralSecurityException {
        List<Der> f = Der.read(der).children();
        RSAPrivateCrtKeySpec spec = new RSAPrivateCrtKeySpec(f.get(1).integer(), f.get(2).integer(), f.get(3).integer(),
                f.get(4).integer(), f.get(5).integer(), f.get(6).integer(), f.get(7).integer(), f.get(8).integer());
        PrivateKey priv = KeyFactory.getInstance("RSA").generatePrivate(spec);
        return new PrivatePem(priv, rsa(spec.getModulus(), spec.getPublicExponent()), "PKCS#1 RSA private key");
    }

    /** @throws IllegalArgumentException with a message fit for a start-up error (no key material) */
    static Result parse(String pem) {
        List<String[]> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(pem);
        while (m.find()) {
            if (!m.group(1).equals("EC PARAMETERS")) { // openssl ecparam -genkey writes one before the key
                blocks.add(new String[] {m.group(1), m.group(2)});
            }
        }
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("holds no PEM block (-----BEGIN ...-----)");
        }
        boolean chain = blocks.stream().allMatch(b -> b[0].equals("CERTIFICATE"));
        if (blocks.size() > 1 && !chain) {
            throw new IllegalArgumentException("holds " + blocks.size() + " PEM blocks; give exactly one public key");
        }
        String type = blocks.get(0)[0];
        String body = blocks.get(0)[1];
        if (body.contains("Proc-Type:") || type.contains("ENCRYPTED")) {
            throw new IllegalArgumentException("holds an encrypted key; give the public key (openssl pkey -pubout)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(body.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the " + type + " block is not valid base64");
        }
        try {
            switch (type) {
                case "PUBLIC KEY":
                    return new Result(pkix(der), "PKIX public key", false);
                case "RSA PUBLIC KEY":
                    return new Result(rsaPkcs1Public(der), "PKCS#1 RSA public key", false);
                case "CERTIFICATE":
                    return new Result(certificate(der), "X.509 certificate", false);
                case "RSA PRIVATE KEY":
                    return new Result(rsaPkcs1Private(der), "PKCS#1 RSA private key", true);
                case "EC PRIVATE KEY":
                    return new Result(sec1(der, null), "SEC1 EC private key", true);
                case "PRIVATE KEY":
                    return new Result(pkcs8(der), "PKCS#8 private key", true);
                default:
                    throw new IllegalArgumentException("holds a " + type + " block; expected PUBLIC KEY, RSA PUBLIC KEY, "
                            + "CERTIFICATE, EC PRIVATE KEY, RSA PRIVATE KEY or PRIVATE KEY");
            }
        } catch (GeneralSecurityException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("the " + type + " block is not a valid RSA or EC key");
        }
    }

    private static PublicKey pkix(byte[] der) throws GeneralSecurityException {
        List<Der> spki = Der.read(der).children();
        String oid = spki.get(0).children().get(0).oid();
        if (oid.equals(OID_RSA)) {
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        }
        if (oid.equals(OID_EC)) {
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
        }
        throw new IllegalArgumentException("holds a public key of another type (OID " + oid + "); expected RSA or EC");
    }

    private static PublicKey certificate(byte[] der) throws GeneralSecurityException {
        X509Certificate cert = X509CertUtils.parseWithException(der);
        PublicKey key = cert.getPublicKey();
        // re-read through PKIX so the same type checks apply as for a bare public key
        return pkix(key.getEncoded());
    }

    /** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
    private static PublicKey rsaPkcs1Public(byte[] der) throws GeneralSecurityException {
        List<Der> seq = Der.read(der).children();
        return rsa(seq.get(0).integer(), seq.get(1).integer());
    }

    /** RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, privateExponent, ... } */
    private static PublicKey rsaPkcs1Private(byte[] der) throws GeneralSecurityException {
        List<Der> seq = Der.read(der).children();
        return rsa(seq.get(1).integer(), seq.get(2).integer());
    }

    private static PublicKey rsa(BigInteger n, BigInteger e) throws GeneralSecurityException {
        return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e));
    }

    /** PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, OCTET STRING privateKey, ... } */
    private static PublicKey pkcs8(byte[] der) throws GeneralSecurityException {
        List<Der> seq = Der.read(der).children();
        List<Der> algId = seq.get(1).children();
        byte[] inner = seq.get(2).content();
        String oid = algId.get(0).oid();
        if (oid.equals(OID_RSA)) {
            return rsaPkcs1Private(inner);
        }
        if (oid.equals(OID_EC)) {
            return sec1(inner, algId.size() > 1 ? algId.get(1).oid() : null);
        }
        throw new IllegalArgumentException("holds a private key of another type (OID " + oid + "); expected RSA or EC");
    }

    /**
     * ECPrivateKey ::= SEQUENCE { version INTEGER 1, privateKey OCTET STRING,
     * parameters [0] namedCurve OPTIONAL, publicKey [1] BIT STRING OPTIONAL } (RFC 5915). The public
     * point is read from {@code publicKey}; computing it from the private scalar would need EC
     * arithmetic the JDK does not expose.
     */
    private static PublicKey sec1(byte[] der, String curveOid) throws GeneralSecurityException {
        Sec1 k = Sec1.read(der, curveOid);
        if (k.point() == null) {
            throw new IllegalArgumentException("holds an EC private key without its public key; export the public key "
                    + "with openssl ec -pubout and use that");
        }
        return k.publicKey();
    }

    /** The fields of an RFC 5915 ECPrivateKey on a supported named curve; {@code point} may be absent. */
    private record Sec1(Curve curve, BigInteger scalar, byte[] point) {

        static Sec1 read(byte[] der, String curveOid) {
            List<Der> fields = Der.read(der).children();
            BigInteger scalar = new BigInteger(1, fields.get(1).expectTag(0x04).content());
            byte[] point = null;
            for (Der field : fields) {
                if (field.tag() == 0xA0) {
                    curveOid = Der.read(field.content()).oid();
                } else if (field.tag() == 0xA1) {
                    point = Der.read(field.content()).bitString();
                }
            }
            Curve curve = curveOid == null ? null : Curve.forOID(curveOid);
            if (curve == null || Algorithms.forCurve(curve) == null) {
                throw new IllegalArgumentException("holds an EC key on an unsupported or unnamed curve; expected P-256, P-384 or P-521");
            }
            return new Sec1(curve, scalar, point);
        }

        private int size() {
            return (curve.toECParameterSpec().getCurve().getField().getFieldSize() + 7) / 8;
        }

        PublicKey publicKey() throws GeneralSecurityException {
            int size = size();
            if (point.length != 1 + 2 * size || point[0] != 0x04) {
                throw new IllegalArgumentException("holds an EC public key that is not an uncompressed point");
            }
            BigInteger x = new BigInteger(1, Arrays.copyOfRange(point, 1, 1 + size));
            BigInteger y = new BigInteger(1, Arrays.copyOfRange(point, 1 + size, point.length));
            return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), curve.toECParameterSpec()));
        }

        PrivatePem toPem(String form) throws GeneralSecurityException {
            ECParameterSpec params = curve.toECParameterSpec();
            ECPrivateKey priv = (ECPrivateKey) KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(scalar, params));
            PublicKey pub = point != null ? publicKey() : derivePublic(priv, params);
            if (!matches(priv, pub)) {
                throw new IllegalArgumentException("holds an EC private key whose public key does not match it");
            }
            return new PrivatePem(priv, pub, form);
        }

        /**
         * d·G without EC arithmetic of our own: ECDH of the private key with the generator yields the
         * x-coordinate; y follows from the curve equation (all three NIST primes are 3 mod 4, so the
         * square root is one exponentiation), and of the two roots the one that verifies a test
         * signature is the public key.
         */
        private static PublicKey derivePublic(ECPrivateKey priv, ECParameterSpec params) throws GeneralSecurityException {
            KeyFactory kf = KeyFactory.getInstance("EC");
            KeyAgreement ecdh = KeyAgreement.getInstance("ECDH");
            ecdh.init(priv);
            ecdh.doPhase(kf.generatePublic(new ECPublicKeySpec(params.getGenerator(), params)), true);
            BigInteger x = new BigInteger(1, ecdh.generateSecret());
            java.security.spec.EllipticCurve c = params.getCurve();
            BigInteger p = ((java.security.spec.ECFieldFp) c.getField()).getP();
            BigInteger rhs = x.pow(3).add(c.getA().multiply(x)).add(c.getB()).mod(p);
            BigInteger y = rhs.modPow(p.add(BigInteger.ONE).shiftRight(2), p);
            if (!y.multiply(y).mod(p).equals(rhs)) {
                throw new IllegalArgumentException("holds an EC private key whose public point cannot be derived");
            }
            for (BigInteger candidate : List.of(y, p.subtract(y))) {
                PublicKey pub = kf.generatePublic(new ECPublicKeySpec(new ECPoint(x, candidate), params));
                if (matches(priv, pub)) {
                    return pub;
                }
            }
            throw new IllegalArgumentException("holds an EC private key whose public point cannot be derived");
        }

        private static boolean matches(PrivateKey priv, PublicKey pub) throws GeneralSecurityException {
            byte[] probe = "grafana-proxy key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(priv);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance("SHA256withECDSA");
            v.initVerify(pub);
            v.update(probe);
            return v.verify(sig);
        }
    }

    /** One DER TLV: just enough of X.690 to walk the fixed key structures above. */
    record Der(int tag, byte[] content) {

        static Der read(byte[] b) {
            return at(b, 0);
        }

        private static Der at(byte[] b, int pos) {
            int tag = b[pos++] & 0xFF;
            int len = b[pos++] & 0xFF;
            if (len >= 0x80) {
                int n = len & 0x7F;
                if (n == 0 || n > 4) {
                    throw new IndexOutOfBoundsException("unsupported DER length");
                }
                len = 0;
                for (int i = 0; i < n; i++) {
                    len = (len << 8) | (b[pos++] & 0xFF);
                }
            }
            if (len < 0 || pos + len > b.length) {
                throw new IndexOutOfBoundsException("truncated DER");
            }
            return new Der(tag, Arrays.copyOfRange(b, pos, pos + len));
        }

        /** The TLVs inside a SEQUENCE (or any constructed value). */
        List<Der> children() {
            List<Der> out = new ArrayList<>();
            int pos = 0;
            while (pos < content.length) {
                Der d = at(content, pos);
                out.add(d);
                pos += headerLength(d.content.length) + d.content.length;
            }
            return out;
        }

        private static int headerLength(int len) {
            return len < 0x80 ? 2 : len < 0x100 ? 3 : len < 0x10000 ? 4 : len < 0x1000000 ? 5 : 6;
        }

        BigInteger integer() {
            expect(0x02);
            return new BigInteger(content);
        }

        byte[] bitString() {
            expect(0x03);
            if (content.length == 0 || content[0] != 0) {
                throw new IndexOutOfBoundsException("unexpected BIT STRING padding");
            }
            return Arrays.copyOfRange(content, 1, content.length);
        }

        String oid() {
            expect(0x06);
            StringBuilder sb = new StringBuilder();
            long value = 0;
            for (int i = 0; i < content.length; i++) {
                value = (value << 7) | (content[i] & 0x7F);
                if ((content[i] & 0x80) == 0) {
                    if (sb.length() == 0) {
                        int first = (int) Math.min(value / 40, 2);
                        sb.append(first).append('.').append(value - 40L * first);
                    } else {
                        sb.append('.').append(value);
                    }
                    value = 0;
                }
            }
            return sb.toString();
        }

        private void expect(int t) {
            if (tag != t) {
                throw new IndexOutOfBoundsException("unexpected DER tag");
            }
        }

        Der expectTag(int t) {
            expect(t);
            return this;
        }
    }
}
