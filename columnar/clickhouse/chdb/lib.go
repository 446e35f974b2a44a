package chdb

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// ErrNoLibrary reports that libchdb.so could not be loaded.
var ErrNoLibrary = errors.New("chdb: cannot load libchdb.so (set CHDB_LIB_PATH; scripts/integration-deps.sh installs it)")

// LibPathEnv names the environment variable holding the path of libchdb.so.
const LibPathEnv = "CHDB_LIB_PATH"

// lib is libchdb.so's C API (chdb.h), bound on first use.
var lib struct {
	once sync.Once
	err  error

	connect       func(argc int, argv []*byte) unsafe.Pointer // chdb_connection *
	closeConn     func(conn unsafe.Pointer)
	query         func(conn unsafe.Pointer, query, format string) unsafe.Pointer // chdb_result *
	destroyResult func(result unsafe.Pointer)
	resultBuffer  func(result unsafe.Pointer) unsafe.Pointer
	resultLength  func(result unsafe.Pointer) uintptr
	resultError   func(result unsafe.Pointer) string
}

// loadLibrary binds libchdb.so once; later calls return the first outcome.
func loadLibrary() error {
	lib.once.Do(func() {
		path := os.Getenv(LibPathEnv)
		if path == "" {
			path = "libchdb.so"
		}
		h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			lib.err = fmt.Errorf("%w: %s: %v", ErrNoLibrary, path, err)
			return
		}
		purego.RegisterLibFunc(&lib.connect, h, "chdb_connect")
		purego.RegisterLibFunc(&lib.closeConn, h, "chdb_close_conn")
		purego.RegisterLibFunc(&lib.query, h, "chdb_query")
		purego.RegisterLibFunc(&lib.destroyResult, h, "chdb_destroy_query_result")
		purego.RegisterLibFunc(&lib.resultBuffer, h, "chdb_result_buffer")
		purego.RegisterLibFunc(&lib.resultLength, h, "chdb_result_length")
		purego.RegisterLibFunc(&lib.resultError, h, "chdb_result_error")
	})
	return lib.err
}
