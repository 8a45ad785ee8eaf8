//go:build unix

package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// openFile opens path for reading without blocking: open(2) of a named pipe
// waits until a writer opens it, which may be never. A named pipe then gets
// FIFOTimeout to deliver its end: openFile waits that long for a writer (the
// pipe is readable once one has written or come and gone) and sets the rest
// as the file's read deadline.
func openFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil || info.Mode()&fs.ModeNamedPipe == 0 {
		return f, err
	}
	deadline := time.Now().Add(FIFOTimeout)
	ready, err := waitReadable(f, FIFOTimeout)
	if err == nil && !ready {
		err = fmt.Errorf("%s: a named pipe that no process opened for writing within %v", path, FIFOTimeout)
	}
	if err == nil {
		err = f.SetReadDeadline(deadline)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// waitReadable waits up to timeout for f to have data or a hang-up (a
// writer that came and went); false when neither came.
func waitReadable(f *os.File, timeout time.Duration) (bool, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var n int
	var perr error
	err = rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		end := time.Now().Add(timeout)
		for {
			n, perr = unix.Poll(fds, int(max(0, time.Until(end).Milliseconds())))
			if !errors.Is(perr, unix.EINTR) {
				return
			}
		}
	})
	return n > 0, errors.Join(err, perr)
}
