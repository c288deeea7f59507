// KagiJava drives kagi through Java's SunPKCS11 provider: every signature
// the token makes is verified, and every ciphertext it makes is decrypted,
// by the JDK's own software providers (SunRsaSign, SunEC, SunJCE), and the
// other way round. It prints one line per check, "PASS name" or
// "FAIL name: why", and exits 1 if any check failed.
//
// Usage: java KagiJava <SunPKCS11 config file> <user PIN>
import java.security.*;
import java.security.spec.*;
import java.util.Arrays;
import javax.crypto.*;
import javax.crypto.spec.*;

public class KagiJava {
    static int failed;

    interface Check {
        void run() throws Exception;
    }

    static void check(String name, Check c) {
        try {
            c.run();
            System.out.println("PASS " + name);
        } catch (Throwable e) {
            failed++;
            System.out.println("FAIL " + name + ": " + e);
            e.printStackTrace(System.out);
        }
    }

    static void must(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    public static void main(String[] args) throws Exception {
        Provider p = Security.getProvider("SunPKCS11").configure(args[0]);
        KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, args[1].toCharArray());
        byte[] msg = "kagi through SunPKCS11".getBytes("UTF-8");

        KeyPairGenerator rg = KeyPairGenerator.getInstance("RSA", p);
        rg.initialize(2048);
        KeyPair rsa = rg.generateKeyPair();
        KeyPairGenerator eg = KeyPairGenerator.getInstance("EC", p);
        eg.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair ec = eg.generateKeyPair();
        // The public keys the software providers verify with: rebuilt from
        // their encodings, so nothing of the token is involved.
        PublicKey rsaPub = KeyFactory.getInstance("RSA", "SunRsaSign")
            .generatePublic(new X509EncodedKeySpec(rsa.getPublic().getEncoded()));
        PublicKey ecPub = KeyFactory.getInstance("EC", "SunEC")
            .generatePublic(new X509EncodedKeySpec(ec.getPublic().getEncoded()));

        for (String alg : new String[] {"SHA256withRSA", "SHA384withRSA", "SHA512withRSA", "SHA1withRSA"}) {
            check("sign " + alg, () -> {
                Signature s = Signature.getInstance(alg, p);
                s.initSign(rsa.getPrivate());
                s.update(msg);
                byte[] sig = s.sign();
                Signature v = Signature.getInstance(alg, "SunRsaSign");
                v.initVerify(rsaPub);
                v.update(msg);
                must(v.verify(sig), "SunRsaSign rejects the signature");
                v.initVerify(rsaPub);
                v.update("other".getBytes());
                must(!v.verify(sig), "SunRsaSign accepts the signature over other data");
            });
        }
        check("verify SHA256withRSA (SunRsaSign signs, token verifies)", () -> {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", "SunRsaSign");
            g.initialize(2048);
            KeyPair kp = g.generateKeyPair();
            Signature s = Signature.getInstance("SHA256withRSA", "SunRsaSign");
            s.initSign(kp.getPrivate());
            s.update(msg);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance("SHA256withRSA", p);
            v.initVerify(kp.getPublic());
            v.update(msg);
            must(v.verify(sig), "the token rejects a good signature");
            sig[10] ^= 1;
            v.initVerify(kp.getPublic());
            v.update(msg);
            must(!v.verify(sig), "the token accepts an altered signature");
        });
        check("sign RSASSA-PSS SHA-256", () -> {
            PSSParameterSpec spec = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);
            Signature s = Signature.getInstance("SHA256withRSASSA-PSS", p);
            s.setParameter(spec);
            s.initSign(rsa.getPrivate());
            s.update(msg);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance("RSASSA-PSS", "SunRsaSign");
            v.setParameter(spec);
            v.initVerify(rsaPub);
            v.update(msg);
            must(v.verify(sig), "SunRsaSign rejects the PSS signature");
        });
        for (String alg : new String[] {"SHA256withECDSA", "SHA384withECDSA", "SHA1withECDSA"}) {
            check("sign " + alg, () -> {
                Signature s = Signature.getInstance(alg, p);
                s.initSign(ec.getPrivate());
                s.update(msg);
                byte[] sig = s.sign();
                Signature v = Signature.getInstance(alg, "SunEC");
                v.initVerify(ecPub);
                v.update(msg);
                must(v.verify(sig), "SunEC rejects the signature");
                v.initVerify(ecPub);
                v.update("other".getBytes());
                must(!v.verify(sig), "SunEC accepts the signature over other data");
            });
        }
        check("verify SHA256withECDSA (SunEC signs, token verifies)", () -> {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair kp = g.generateKeyPair();
            Signature s = Signature.getInstance("SHA256withECDSA", "SunEC");
            s.initSign(kp.getPrivate());
            s.update(msg);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance("SHA256withECDSA", p);
            v.initVerify(kp.getPublic());
            v.update(msg);
            must(v.verify(sig), "the token rejects a good signature");
            v.initVerify(kp.getPublic());
            v.update("other".getBytes());
            must(!v.verify(sig), "the token accepts the signature over other data");
        });
        check("RSA/ECB/PKCS1Padding (SunJCE encrypts, token decrypts)", () -> {
            Cipher e = Cipher.getInstance("RSA/ECB/PKCS1Padding", "SunJCE");
            e.init(Cipher.ENCRYPT_MODE, rsaPub);
            byte[] ct = e.doFinal(msg);
            Cipher d = Cipher.getInstance("RSA/ECB/PKCS1Padding", p);
            d.init(Cipher.DECRYPT_MODE, rsa.getPrivate());
            must(Arrays.equals(d.doFinal(ct), msg), "the token decrypts to other bytes");
        });
        check("ECDH P-256 (token and SunEC agree)", () -> {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair peer = g.generateKeyPair();
            KeyAgreement a = KeyAgreement.getInstance("ECDH", p);
            a.init(ec.getPrivate());
            a.doPhase(peer.getPublic(), true);
            byte[] z1 = a.generateSecret();
            KeyAgreement b = KeyAgreement.getInstance("ECDH", "SunEC");
            b.init(peer.getPrivate());
            b.doPhase(ecPub, true);
            byte[] z2 = b.generateSecret();
            must(z1.length == 32 && Arrays.equals(z1, z2), "the shared secrets differ");
        });

        byte[] aesBytes = new byte[32];
        new SecureRandom().nextBytes(aesBytes);
        SecretKeySpec soft = new SecretKeySpec(aesBytes, "AES");
        // The key imported into the token (a session object via C_CreateObject).
        SecretKey tok = SecretKeyFactory.getInstance("AES", p).generateSecret(soft);
        byte[] data = new byte[1000];
        new SecureRandom().nextBytes(data);
        check("AES/CBC/PKCS5Padding both ways", () -> {
            IvParameterSpec iv = new IvParameterSpec(new byte[16]);
            Cipher e = Cipher.getInstance("AES/CBC/PKCS5Padding", p);
            e.init(Cipher.ENCRYPT_MODE, tok, iv);
            byte[] ct = e.doFinal(data);
            Cipher d = Cipher.getInstance("AES/CBC/PKCS5Padding", "SunJCE");
            d.init(Cipher.DECRYPT_MODE, soft, iv);
            must(Arrays.equals(d.doFinal(ct), data), "SunJCE decrypts the token's ciphertext to other bytes");
            d.init(Cipher.ENCRYPT_MODE, soft, iv);
            byte[] ct2 = d.doFinal(data);
            must(Arrays.equals(ct, ct2), "the token and SunJCE ciphertexts differ");
            e.init(Cipher.DECRYPT_MODE, tok, iv);
            // In parts, as streams use it.
            byte[] a = e.update(ct2, 0, 100);
            byte[] b = e.doFinal(ct2, 100, ct2.length - 100);
            byte[] all = new byte[a.length + b.length];
            System.arraycopy(a, 0, all, 0, a.length);
            System.arraycopy(b, 0, all, a.length, b.length);
            must(Arrays.equals(all, data), "the token decrypts SunJCE's ciphertext to other bytes");
        });
        check("AES/GCM/NoPadding both ways", () -> {
            byte[] nonce = new byte[12];
            new SecureRandom().nextBytes(nonce);
            GCMParameterSpec gs = new GCMParameterSpec(128, nonce);
            byte[] aad = "header".getBytes();
            Cipher e = Cipher.getInstance("AES/GCM/NoPadding", p);
            e.init(Cipher.ENCRYPT_MODE, tok, gs);
            e.updateAAD(aad);
            byte[] ct = e.doFinal(data);
            Cipher d = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
            d.init(Cipher.DECRYPT_MODE, soft, gs);
            d.updateAAD(aad);
            must(Arrays.equals(d.doFinal(ct), data), "SunJCE decrypts the token's ciphertext to other bytes");
            Cipher t = Cipher.getInstance("AES/GCM/NoPadding", p);
            t.init(Cipher.DECRYPT_MODE, tok, gs);
            t.updateAAD(aad);
            must(Arrays.equals(t.doFinal(ct), data), "the token does not decrypt its own ciphertext");
            ct[5] ^= 1;
            t.init(Cipher.DECRYPT_MODE, tok, gs);
            t.updateAAD(aad);
            try {
                t.doFinal(ct);
                throw new AssertionError("the token decrypts an altered ciphertext");
            } catch (AEADBadTagException expected) {
            }
        });
        check("HmacSHA256 (token and SunJCE agree)", () -> {
            SecretKeySpec hk = new SecretKeySpec(aesBytes, "HmacSHA256");
            Mac m = Mac.getInstance("HmacSHA256", p);
            m.init(hk); // SunPKCS11 imports it as a generic secret key
            byte[] t1 = m.doFinal(data);
            Mac s = Mac.getInstance("HmacSHA256", "SunJCE");
            s.init(hk);
            must(Arrays.equals(t1, s.doFinal(data)), "the MACs differ");
        });
        check("SHA-256 digest", () -> {
            byte[] d1 = MessageDigest.getInstance("SHA-256", p).digest(data);
            byte[] d2 = MessageDigest.getInstance("SHA-256", "SUN").digest(data);
            must(Arrays.equals(d1, d2), "the digests differ");
        });
        check("AES key generated on the token", () -> {
            KeyGenerator kg = KeyGenerator.getInstance("AES", p);
            kg.init(256);
            SecretKey k = kg.generateKey();
            Cipher e = Cipher.getInstance("AES/GCM/NoPadding", p);
            GCMParameterSpec gs = new GCMParameterSpec(128, new byte[12]);
            e.init(Cipher.ENCRYPT_MODE, k, gs);
            byte[] ct = e.doFinal(data);
            e.init(Cipher.DECRYPT_MODE, k, gs);
            must(Arrays.equals(e.doFinal(ct), data), "round trip failed");
        });
        check("SecureRandom from the token", () -> {
            SecureRandom r = SecureRandom.getInstance("PKCS11", p);
            byte[] a = new byte[32], b = new byte[32];
            r.nextBytes(a);
            r.nextBytes(b);
            must(!Arrays.equals(a, b) && !Arrays.equals(a, new byte[32]), "the random bytes repeat");
        });
        System.exit(failed == 0 ? 0 : 1);
    }
}
