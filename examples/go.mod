module github.com/protoc-gen-health/protoc-gen-health/examples

go 1.26

replace (
	github.com/protoc-gen-health/protoc-gen-health => ../
	github.com/protoc-gen-health/protoc-gen-health/healthreg => ../healthreg
)
