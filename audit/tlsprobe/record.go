package tlsprobe

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"slices"

	"golang.org/x/crypto/chacha20poly1305"
)

// The TLS 1.0 to 1.2 record protection the renegotiation probe needs to
// send one record inside a session crypto/tls established, and to read the
// answer: the PRF and key block (RFC 5246 §5, §6.3; RFC 2246 §5, §6.3 for
// TLS 1.0 and 1.1), AEAD records (RFC 5246 §6.2.3.3, RFC 5288 §3 for
// AES-GCM, RFC 7905 §2 for ChaCha20-Poly1305) and CBC records with HMAC
// (RFC 5246 §6.2.3.1, §6.2.3.2: an explicit IV per record from TLS 1.1 on;
// in TLS 1.0 each record's IV is the last cipher block of the one before,
// RFC 2246 §6.2.3.2).

// Record protection limits and sizes.
const (
	// maxCiphertextLen is the largest TLSCiphertext fragment (RFC 5246 §6.2.3).
	maxCiphertextLen = maxRecordLen + 2048
	seqLen           = 8
	gcmFixedIVLen    = 4
	gcmExplicitLen   = 8
	chachaIVLen      = 12
	aesBlockLen      = aes.BlockSize
	desBlockLen      = des.BlockSize
	sha1MACLen       = sha1.Size
	sha256MACLen     = sha256.Size
	// masterSecretLen is the TLS 1.2 master secret (RFC 5246 §8.1).
	masterSecretLen = 48
	// verifyDataLen is the Finished verify_data of TLS 1.2 (RFC 5246 §7.4.9).
	verifyDataLen = 12
	// labelKeyExpansion is the PRF label of the key block (RFC 5246 §6.3).
	labelKeyExpansion = "key expansion"
)

// protection is how a suite protects its records.
type protection int

const (
	protGCM    protection = iota // AES-GCM, 4-byte implicit and 8-byte explicit nonce
	protChaCha                   // ChaCha20-Poly1305, 12-byte IV XORed with the sequence number
	protCBC                      // a block cipher in CBC mode with HMAC, explicit IV
)

// recordSuite is the record protection of one TLS 1.2 suite.
type recordSuite struct {
	prot   protection
	keyLen int
	macLen int // HMAC output (CBC suites); 0 for AEAD
	ivLen  int // key-block IV length: the implicit nonce of AEAD suites
	sha384 bool
	// tls12 marks the suites only TLS 1.2 defines (AEAD, HMAC-SHA256).
	tls12 bool
	mac   func() hash.Hash                   // HMAC hash of CBC suites
	block func([]byte) (cipher.Block, error) // AES or 3DES
}

func aesCipher(k []byte) (cipher.Block, error)  { return aes.NewCipher(k) }
func tdesCipher(k []byte) (cipher.Block, error) { return des.NewTripleDESCipher(k) }

// recordSuites are the TLS 1.2 suites both crypto/tls (which runs the
// handshake) and this record layer speak. RC4 is left out: its state
// after the Finished would have to be replayed.
var recordSuites = map[uint16]recordSuite{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:       {tls12: true, prot: protGCM, keyLen: 16, ivLen: gcmFixedIVLen, block: aesCipher},
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:         {tls12: true, prot: protGCM, keyLen: 16, ivLen: gcmFixedIVLen, block: aesCipher},
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256:               {tls12: true, prot: protGCM, keyLen: 16, ivLen: gcmFixedIVLen, block: aesCipher},
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:       {tls12: true, prot: protGCM, keyLen: 32, ivLen: gcmFixedIVLen, sha384: true, block: aesCipher},
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:         {tls12: true, prot: protGCM, keyLen: 32, ivLen: gcmFixedIVLen, sha384: true, block: aesCipher},
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384:               {tls12: true, prot: protGCM, keyLen: 32, ivLen: gcmFixedIVLen, sha384: true, block: aesCipher},
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: {tls12: true, prot: protChaCha, keyLen: chacha20poly1305.KeySize, ivLen: chachaIVLen},
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:   {tls12: true, prot: protChaCha, keyLen: chacha20poly1305.KeySize, ivLen: chachaIVLen},
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA:          {prot: protCBC, keyLen: 16, macLen: sha1MACLen, ivLen: aesBlockLen, mac: sha1.New, block: aesCipher},
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA:            {prot: protCBC, keyLen: 16, macLen: sha1MACLen, ivLen: aesBlockLen, mac: sha1.New, block: aesCipher},
	tls.TLS_RSA_WITH_AES_128_CBC_SHA:                  {prot: protCBC, keyLen: 16, macLen: sha1MACLen, ivLen: aesBlockLen, mac: sha1.New, block: aesCipher},
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:          {prot: protCBC, keyLen: 32, macLen: sha1MACLen, ivLen: aesBlockLen, mac: sha1.New, block: aesCipher},
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:            {prot: protCBC, keyLen: 32, macLen: sha1MACLen, ivLen: aesBlockLen, mac: sha1.New, block: aesCipher},
	tls.TLS_RSA_WITH_AES_256_CBC_SHA:                  {prot: protCBC, keyLen: 32, macLen: sha1MACLen, ivLen: aesBlockLen, mac: sha1.New, block: aesCipher},
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256:       {tls12: true, prot: protCBC, keyLen: 16, macLen: sha256MACLen, ivLen: aesBlockLen, mac: sha256.New, block: aesCipher},
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256:         {tls12: true, prot: protCBC, keyLen: 16, macLen: sha256MACLen, ivLen: aesBlockLen, mac: sha256.New, block: aesCipher},
	tls.TLS_RSA_WITH_AES_128_CBC_SHA256:               {tls12: true, prot: protCBC, keyLen: 16, macLen: sha256MACLen, ivLen: aesBlockLen, mac: sha256.New, block: aesCipher},
	tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA:           {prot: protCBC, keyLen: 24, macLen: sha1MACLen, ivLen: desBlockLen, mac: sha1.New, block: tdesCipher},
	tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA:                 {prot: protCBC, keyLen: 24, macLen: sha1MACLen, ivLen: desBlockLen, mac: sha1.New, block: tdesCipher},
}

// prfHash is the hash of the suite's PRF: SHA-384 for the _SHA384 suites,
// SHA-256 for every other TLS 1.2 suite (RFC 5246 §5, RFC 5288 §3).
func (s recordSuite) prfHash() func() hash.Hash {
	if s.sha384 {
		return sha512.New384
	}
	return sha256.New
}

// pHash is P_hash(secret, seed) cut to n bytes (RFC 5246 §5).
func pHash(h func() hash.Hash, secret, seed []byte, n int) []byte {
	mac := hmac.New(h, secret)
	mac.Write(seed)
	a := mac.Sum(nil) // A(1)
	out := make([]byte, 0, n+mac.Size())
	for len(out) < n {
		mac.Reset()
		mac.Write(a)
		mac.Write(seed)
		out = mac.Sum(out)
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(a[:0])
	}
	return out[:n]
}

// prf12 is the TLS 1.2 PRF: P_hash(secret, label + seed) (RFC 5246 §5).
func prf12(h func() hash.Hash, secret []byte, label string, seed []byte, n int) []byte {
	return pHash(h, secret, append([]byte(label), seed...), n)
}

// prf10 is the PRF of TLS 1.0 and 1.1: P_MD5 over the secret's first half
// XORed with P_SHA-1 over its second half, the halves sharing the middle
// byte of an odd-length secret (RFC 2246 §5).
func prf10(secret []byte, label string, seed []byte, n int) []byte {
	half := (len(secret) + 1) / 2
	ls := append([]byte(label), seed...)
	out := pHash(md5.New, secret[:half], ls, n)
	subtle.XORBytes(out, out, pHash(sha1.New, secret[len(secret)-half:], ls, n))
	return out
}

// prf is the PRF of a session of this version and suite.
func (s recordSuite) prf(version uint16, secret []byte, label string, seed []byte, n int) []byte {
	if version < VersionTLS12 {
		return prf10(secret, label, seed, n)
	}
	return prf12(s.prfHash(), secret, label, seed, n)
}

// recordKeys protect the records of one direction of a session.
type recordKeys struct {
	suite   recordSuite
	version uint16
	macKey  []byte
	key     []byte
	iv      []byte
	aead    cipher.AEAD  // AEAD suites
	block   cipher.Block // CBC suites
	seq     uint64
	// chainIV is the IV of the next TLS 1.0 CBC record: the last cipher
	// block of the record before it in this direction.
	chainIV []byte
}

// deriveKeys expands the master secret into the client's and the
// server's record keys (RFC 5246 §6.3: client MAC key, server MAC key,
// client key, server key, client IV, server IV).
func deriveKeys(s recordSuite, version uint16, master, clientRandom, serverRandom []byte) (client, server *recordKeys, err error) {
	seed := append(append([]byte{}, serverRandom...), clientRandom...)
	kb := s.prf(version, master, labelKeyExpansion, seed, 2*(s.macLen+s.keyLen+s.ivLen))
	take := func(n int) []byte {
		b := kb[:n:n]
		kb = kb[n:]
		return b
	}
	cm, sm := take(s.macLen), take(s.macLen)
	ck, sk := take(s.keyLen), take(s.keyLen)
	civ, siv := take(s.ivLen), take(s.ivLen)
	if client, err = newRecordKeys(s, version, cm, ck, civ); err != nil {
		return nil, nil, err
	}
	if server, err = newRecordKeys(s, version, sm, sk, siv); err != nil {
		return nil, nil, err
	}
	return client, server, nil
}

func newRecordKeys(s recordSuite, version uint16, macKey, key, iv []byte) (*recordKeys, error) {
	k := &recordKeys{suite: s, version: version, macKey: macKey, key: key, iv: iv, chainIV: iv}
	var err error
	switch s.prot {
	case protGCM:
		var b cipher.Block
		if b, err = s.block(key); err == nil {
			k.aead, err = cipher.NewGCM(b)
		}
	case protChaCha:
		k.aead, err = chacha20poly1305.New(key)
	case protCBC:
		k.block, err = s.block(key)
	}
	if err != nil {
		return nil, fmt.Errorf("record keys: %w", err)
	}
	return k, nil
}

// additionalData is seq_num + type + version + length, the MAC input
// prefix of CBC suites and the AEAD additional data (RFC 5246 §6.2.3.1,
// §6.2.3.3).
func additionalData(seq uint64, typ uint8, version uint16, n int) []byte {
	ad := binary.BigEndian.AppendUint64(make([]byte, 0, seqLen+5), seq)
	ad = append(ad, typ)
	ad = binary.BigEndian.AppendUint16(ad, version)
	return binary.BigEndian.AppendUint16(ad, uint16(n))
}

// nonce is the AEAD nonce of record seq: for AES-GCM the implicit IV and
// the explicit part (the sequence number, as most stacks choose), for
// ChaCha20-Poly1305 the IV XORed with the left-padded sequence number.
func (k *recordKeys) nonce(seq uint64, explicit []byte) []byte {
	if k.suite.prot == protGCM {
		return append(append([]byte{}, k.iv...), explicit...)
	}
	n := append([]byte{}, k.iv...)
	var s [seqLen]byte
	binary.BigEndian.PutUint64(s[:], seq)
	subtle.XORBytes(n[len(n)-seqLen:], n[len(n)-seqLen:], s[:])
	return n
}

// seal protects plaintext as the next record of this direction and
// returns the whole record, header included.
func (k *recordKeys) seal(typ uint8, version uint16, plaintext []byte) []byte {
	seq := k.seq
	k.seq++
	ad := additionalData(seq, typ, version, len(plaintext))
	var payload []byte
	switch k.suite.prot {
	case protGCM:
		explicit := binary.BigEndian.AppendUint64(nil, seq)
		payload = k.aead.Seal(explicit, k.nonce(seq, explicit), plaintext, ad)
	case protChaCha:
		payload = k.aead.Seal(nil, k.nonce(seq, nil), plaintext, ad)
	case protCBC:
		mac := hmac.New(k.suite.mac, k.macKey)
		mac.Write(ad)
		mac.Write(plaintext)
		data := mac.Sum(append([]byte{}, plaintext...))
		bs := k.block.BlockSize()
		pad := bs - (len(data)+1)%bs
		if pad == bs {
			pad = 0
		}
		for range pad + 1 {
			data = append(data, byte(pad))
		}
		if k.version == VersionTLS10 {
			cipher.NewCBCEncrypter(k.block, k.chainIV).CryptBlocks(data, data)
			k.chainIV = slices.Clone(data[len(data)-bs:])
			payload = data
			break
		}
		iv := randomBytes(bs)
		cipher.NewCBCEncrypter(k.block, iv).CryptBlocks(data, data)
		payload = append(iv, data...)
	}
	return recordOf(typ, version, payload)
}

// errRecordMAC is the failure to authenticate a record: wrong keys, a
// wrong sequence number, or bytes that were never a record of this session.
var errRecordMAC = errors.New("record does not authenticate")

// open authenticates and decrypts the payload of the next record of this
// direction. It never reads past payload and fails on any length that
// cannot be a record of the suite.
func (k *recordKeys) open(typ uint8, version uint16, payload []byte) ([]byte, error) {
	seq := k.seq
	switch k.suite.prot {
	case protGCM, protChaCha:
		var explicit []byte
		if k.suite.prot == protGCM {
			if len(payload) < gcmExplicitLen {
				return nil, fmt.Errorf("%w: aead record of %d bytes", ErrMalformed, len(payload))
			}
			explicit, payload = payload[:gcmExplicitLen], payload[gcmExplicitLen:]
		}
		if len(payload) < k.aead.Overhead() {
			return nil, fmt.Errorf("%w: aead record of %d bytes", ErrMalformed, len(payload))
		}
		ad := additionalData(seq, typ, version, len(payload)-k.aead.Overhead())
		plain, err := k.aead.Open(nil, k.nonce(seq, explicit), payload, ad)
		if err != nil {
			return nil, errRecordMAC
		}
		k.seq++
		return plain, nil
	}
	bs := k.block.BlockSize()
	iv, body := payload, payload
	if k.version == VersionTLS10 {
		iv = k.chainIV
	} else if len(payload) >= bs {
		iv, body = payload[:bs], payload[bs:]
	}
	if len(body) < bs || len(body)%bs != 0 || len(iv) < bs {
		return nil, fmt.Errorf("%w: cbc record of %d bytes", ErrMalformed, len(payload))
	}
	data := append([]byte{}, body...)
	cipher.NewCBCDecrypter(k.block, iv[:bs]).CryptBlocks(data, data)
	pad := int(data[len(data)-1])
	if pad+1+k.suite.macLen > len(data) {
		return nil, errRecordMAC
	}
	for _, b := range data[len(data)-1-pad:] {
		if int(b) != pad {
			return nil, errRecordMAC
		}
	}
	data = data[:len(data)-1-pad]
	plain, got := data[:len(data)-k.suite.macLen], data[len(data)-k.suite.macLen:]
	mac := hmac.New(k.suite.mac, k.macKey)
	mac.Write(additionalData(seq, typ, version, len(plain)))
	mac.Write(plain)
	if !hmac.Equal(mac.Sum(nil), got) {
		return nil, errRecordMAC
	}
	k.seq++
	if k.version == VersionTLS10 {
		k.chainIV = slices.Clone(body[len(body)-bs:])
	}
	return plain, nil
}
