package storetest

import (
	"errors"

	"github.com/plotline-dev/plotline"
)

func asError(err error, target **plotline.Error) bool {
	if errors.As(err, target) {
		return true
	}
	*target = &plotline.Error{}
	return false
}
