package ingest

import (
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/plotline-dev/plotline"
)

// OpenFile opens an input file for reading and returns its size. A path
// that does not exist is ENOTFOUND; a directory, or a file that cannot be
// opened, is EINVALID; both errors name the path.
func OpenFile(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		code := plotline.EINVALID
		if errors.Is(err, fs.ErrNotExist) {
			code = plotline.ENOTFOUND
		}
		return nil, 0, &plotline.Error{Code: code, File: path, Message: inputProblem(err)}
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		err = &plotline.Error{Code: plotline.EINVALID, File: path, Message: "is a folder; give the file inside it"}
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// ReadFile reads a whole small input file (a mapping, an actor list) with
// the errors of OpenFile.
func ReadFile(path string) ([]byte, error) {
	f, _, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, &plotline.Error{Code: plotline.EINVALID, File: path, Message: inputProblem(err)}
	}
	return b, nil
}

// inputProblem is what went wrong with a path, without repeating it.
func inputProblem(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
