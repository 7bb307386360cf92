// Command cxloop-stack runs the parts of cxloop's embedded stack that need Go:
//
//	cxloop-stack ferretdb -listen 127.0.0.1:27017 -data DIR
//	    FerretDB (MongoDB wire protocol) on its SQLite backend, storing in DIR.
//	cxloop-stack supervise -- PROGRAM ARGS...
//	    runs PROGRAM and stops it when this process's parent goes away.
//
// Both exit when their standard input closes, so a Node parent that dies
// without cleaning up (SIGKILL, crash) never leaves an orphan server behind.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "ferretdb":
		err = runFerretDB(os.Args[2:])
	case "supervise":
		err = supervise(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cxloop-stack:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: cxloop-stack ferretdb -listen ADDR -data DIR | supervise -- PROGRAM ARGS...")
	os.Exit(2)
}

// lifetime is cancelled on SIGINT/SIGTERM or when stdin reaches EOF (parent gone).
func lifetime() (context.Context, context.CancelFunc) {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	return ctx, cancel
}

func runFerretDB(args []string) error {
	fs := flag.NewFlagSet("ferretdb", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	data := fs.String("data", "data/ferretdb", "directory for the SQLite files")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	_ = fs.Parse(args)

	dir, err := filepath.Abs(*data)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("bad -log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// FerretDB runs SQLite in WAL mode. synchronous=normal skips the fsync at every commit (a
	// process crash loses nothing; a power cut may lose the last commits), so the one write lock
	// is held briefly; a longer busy timeout rides out bursts from several processes. Transactions
	// begin IMMEDIATE: a deferred one that reads first and then writes fails at once with
	// SQLITE_BUSY when another writer committed in between (the busy timeout does not apply).
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/?_pragma=busy_timeout(30000)&_pragma=synchronous(normal)&_txlock=immediate",
	})
	if err != nil {
		return err
	}
	ctx, cancel := lifetime()
	defer cancel()
	go keepIDIndexes(ctx, dir, logger)
	fmt.Fprintf(os.Stderr, "ferretdb listening on %s, data in %s\n", *listen, dir)
	return f.Run(ctx)
}

func supervise(args []string) error {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		usage()
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// The child dies with us even if we are killed outright.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	ctx, cancel := lifetime()
	defer cancel()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	return nil
}
