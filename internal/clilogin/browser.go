package clilogin

import (
	"os/exec"
	"runtime"
)

// OpenBrowser asks the desktop to open u in the default browser (xdg-open,
// open, or the Windows URL handler). It only starts the opener and does
// not wait for it: Login prints the URL anyway.
func OpenBrowser(u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait() // reap it
	return nil
}
