package engine

// WaitBackground waits for e's background build, if one is running.
func WaitBackground(e *Engine) { e.bg.Wait() }
