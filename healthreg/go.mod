module github.com/protoc-gen-health/protoc-gen-health/healthreg

go 1.26
