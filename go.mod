module github.com/plotline-dev/plotline

go 1.26.8
