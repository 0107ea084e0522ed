package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
)

// Key and signature files. Keys are PEM: the private key PKCS #8 ("PRIVATE
// KEY", file mode 0600), the public key PKIX ("PUBLIC KEY"), as OpenSSL
// writes Ed25519 keys. A signature is the base64 of the 64-byte Ed25519
// signature (RFC 8032) over the manifest file's exact bytes, one line.
const (
	privateKeyMode = 0o600
	publicKeyMode  = 0o644
	signatureExt   = ".sig"
)

// manifestFileName is the manifest file written beside a run's reports.
func manifestFileName(runID int64) string { return fmt.Sprintf("mxaudit-run%d-manifest.json", runID) }

// sha256File returns the hex SHA-256 and size of a file.
func sha256File(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// recordFiles records the SHA-256 of each report file written from a run.
func recordFiles(ctx context.Context, store *db.DB, runID int64, root, kind string, paths ...string) error {
	for _, p := range paths {
		sum, size, err := sha256File(p)
		if err != nil {
			return err
		}
		abs, _ := filepath.Abs(p)
		if err := store.RecordReportFile(ctx, db.ReportFile{RunID: runID, Kind: kind, Path: abs, SHA256: sum, Size: size,
			RootDigest: root, WrittenAt: time.Now().UTC()}); err != nil {
			return err
		}
	}
	return nil
}

// writeManifestFiles writes the run's manifest as JSON beside the reports
// and, with a key, its detached signature; it returns the files written.
func writeManifestFiles(dir string, m db.Manifest, keyFile string) ([]string, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	path := filepath.Join(dir, manifestFileName(m.RunID))
	if err := report.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return nil, err
	}
	files := []string{path}
	if keyFile == "" {
		return files, nil
	}
	key, err := readPrivateKey(keyFile)
	if err != nil {
		return files, usageErr("--sign-key: %v", err)
	}
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, b)) + "\n"
	if err := report.WriteFileAtomic(path+signatureExt, func(w io.Writer) error { _, err := io.WriteString(w, sig); return err }); err != nil {
		return files, err
	}
	return append(files, path+signatureExt), nil
}

func readPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: not a PEM \"PRIVATE KEY\" (mxaudit keygen writes one)", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key", path)
	}
	return ek, nil
}

func readPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%s: not a PEM \"PUBLIC KEY\" (mxaudit keygen writes one)", path)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key", path)
	}
	return ek, nil
}

func keygenCommand() *cli.Command {
	return &cli.Command{
		Name:      "keygen",
		Usage:     "write an Ed25519 key pair for signing run manifests",
		ArgsUsage: "PREFIX",
		Description: `Writes PREFIX.key (the private key, PKCS #8 PEM, mode 0600) and PREFIX.pub
(the public key, PKIX PEM). Give the private key to run or report with
--sign-key; give the public key to whoever checks reports with
mxaudit verify --pub. Existing files are never overwritten.`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr("keygen takes one PREFIX (writes PREFIX.key and PREFIX.pub)")
			}
			prefix := c.Args().First()
			pub, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return runtimeErr(err)
			}
			pk, err := x509.MarshalPKCS8PrivateKey(priv)
			if err != nil {
				return runtimeErr(err)
			}
			pb, err := x509.MarshalPKIXPublicKey(pub)
			if err != nil {
				return runtimeErr(err)
			}
			for _, f := range []struct {
				path string
				mode os.FileMode
				blk  *pem.Block
			}{
				{prefix + ".key", privateKeyMode, &pem.Block{Type: "PRIVATE KEY", Bytes: pk}},
				{prefix + ".pub", publicKeyMode, &pem.Block{Type: "PUBLIC KEY", Bytes: pb}},
			} {
				fh, err := os.OpenFile(f.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
				if err != nil {
					return usageErr("keygen: %v", err)
				}
				if err := pem.Encode(fh, f.blk); err != nil {
					fh.Close()
					return runtimeErr(err)
				}
				if err := fh.Close(); err != nil {
					return runtimeErr(err)
				}
				fmt.Fprintf(c.App.Writer, "wrote %s\n", f.path)
			}
			return nil
		},
	}
}

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check that report files are exactly those this database wrote, from evidence still as recorded",
		ArgsUsage: "REPORT...",
		Description: `For each file (PDF, workbook, JSON, letter, manifest): its SHA-256 must be
that of a file this database recorded writing, and the run's stored
evidence must still match the manifest recorded when the run finished. With
--pub, the manifest's signature (mxaudit-run<ID>-manifest.json.sig beside the
file) must verify with that Ed25519 public key.

Exit 0 when every file passes; 1, saying what differs, otherwise.`,
		Flags: []cli.Flag{
			dbFlag(),
			&cli.StringFlag{Name: "pub", Usage: "Ed25519 public key `FILE` (mxaudit keygen) to check the manifest's signature with"},
		},
		Action: verifyAction,
	}
}

func verifyAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return usageErr("verify: name at least one report file")
	}
	var pub ed25519.PublicKey
	if p := c.String("pub"); p != "" {
		k, err := readPublicKey(p)
		if err != nil {
			return usageErr("--pub: %v", err)
		}
		pub = k
	}
	store, err := openDB(c)
	if err != nil {
		return err
	}
	defer store.Close()
	failed := 0
	checked := map[int64][]string{} // run → problems with its evidence, once per run
	for _, path := range c.Args().Slice() {
		problems, err := verifyFile(c.Context, store, path, pub, checked)
		if err != nil {
			return runtimeErr(err)
		}
		if len(problems) == 0 {
			fmt.Fprintf(c.App.Writer, "ok    %s\n", path)
			continue
		}
		failed++
		fmt.Fprintf(c.App.Writer, "FAIL  %s\n", path)
		for _, p := range problems {
			fmt.Fprintf(c.App.Writer, "      %s\n", p)
		}
	}
	if failed > 0 {
		return &exitError{code: exitThreshold, err: fmt.Errorf("verify: %d of %d files failed", failed, c.NArg())}
	}
	return nil
}

// verifyFile checks one file and returns what is wrong with it; an error
// only when the check itself could not be made.
func verifyFile(ctx context.Context, store *db.DB, path string, pub ed25519.PublicKey, checked map[int64][]string) ([]string, error) {
	sum, _, err := sha256File(path)
	if err != nil {
		return []string{err.Error()}, nil
	}
	files, err := store.ReportFilesBySHA256(ctx, sum)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return []string{"not a file this database wrote: its SHA-256 " + sum + " is not recorded (edited after it was written, or from another database)"}, nil
	}
	f := files[len(files)-1]
	var problems []string
	evidence, ok := checked[f.RunID]
	if !ok {
		evidence, err = verifyRun(ctx, store, f.RunID)
		if err != nil {
			return nil, err
		}
		checked[f.RunID] = evidence
	}
	problems = append(problems, evidence...)
	stored, err := store.StoredManifest(ctx, f.RunID)
	if err == nil && f.RootDigest != "" && f.RootDigest != stored.RootDigest {
		problems = append(problems, fmt.Sprintf("written from root digest %s, the run's recorded manifest is %s", f.RootDigest, stored.RootDigest))
	}
	if pub != nil {
		problems = append(problems, verifySignature(filepath.Dir(path), f.RunID, stored, pub)...)
	}
	return problems, nil
}

// verifyRun holds a run's stored evidence to its recorded manifest.
func verifyRun(ctx context.Context, store *db.DB, runID int64) ([]string, error) {
	stored, err := store.StoredManifest(ctx, runID)
	if errors.Is(err, db.ErrNotFound) {
		return []string{fmt.Sprintf("run %d has no recorded manifest (it did not finish): its evidence cannot be vouched for", runID)}, nil
	}
	if err != nil {
		return nil, err
	}
	now, err := store.ComputeManifest(ctx, runID)
	if errors.Is(err, db.ErrEvidenceAltered) {
		return []string{"run " + fmt.Sprint(runID) + ": " + err.Error()}, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range db.DiffManifests(stored, now) {
		out = append(out, fmt.Sprintf("run %d: %s", runID, d))
	}
	return out, nil
}

// verifySignature checks the manifest file beside a report and its
// signature: signed by the key, and the manifest the run recorded.
func verifySignature(dir string, runID int64, stored db.Manifest, pub ed25519.PublicKey) []string {
	mpath := filepath.Join(dir, manifestFileName(runID))
	b, err := os.ReadFile(mpath)
	if err != nil {
		return []string{"no manifest beside the file to check the signature of: " + err.Error()}
	}
	sig, err := os.ReadFile(mpath + signatureExt)
	if err != nil {
		return []string{"no signature: " + err.Error()}
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sig)))
	if err != nil || !ed25519.Verify(pub, b, raw) {
		return []string{"the signature of " + filepath.Base(mpath) + " does not verify with the given public key"}
	}
	var m db.Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.RootDigest != stored.RootDigest {
		return []string{"the signed manifest's root digest " + m.RootDigest + " is not the run's recorded " + stored.RootDigest}
	}
	return nil
}
