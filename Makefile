# plugctl: build, sample plugins, demo, tests, benchmarks.
#
#   make demo    build plugctl and the sample plugins, and run plugctl on them
#   make test    everything CI checks on Linux
#   make test-windows  plugctl.exe and Windows DLLs end to end under Wine
#                (CI runs it after make test; it installs wine64 and
#                mingw-w64 from Debian when run as root)
#   make bench   benchmarks, each compared with a baseline in the same run
#
# Needs: go (see go.mod) to build plugctl; a C compiler for make demo; for
# make test also Rust (cargo, rustfmt, from rustup), clang, lld, llvm
# (llvm-lipo) and mingw-w64: `make tools` installs the Debian packages as
# root (apt-get) or names the one command that installs them.

SHELL      := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO         ?= go
CC         ?= gcc
CARGO      ?= cargo
CLANG      ?= clang
MINGW_CC   ?= x86_64-w64-mingw32-gcc
LIPO       ?= $(firstword $(shell command -v llvm-lipo llvm-lipo-19 llvm-lipo-18 llvm-lipo-17 llvm-lipo-16 llvm-lipo-15 llvm-lipo-14 2>/dev/null))
BUILD      := build
PLUGINS    := $(BUILD)/plugins
PLUGCTL    := $(BUILD)/plugctl
VERSION    := $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS    := -s -w -X github.com/plugctl/plugctl/internal/cli.version=$(VERSION)
# plugctl never uses cgo: purego calls C without it.
export CGO_ENABLED := 0
export CARGO_TARGET_DIR := $(abspath $(BUILD)/cargo)
export PLUGCTL_PLUGINS := $(abspath $(PLUGINS))

FUZZTIME   ?= 10s
NPROC      := $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)
# Platforms plugctl must build for besides this one (macOS is checked by
# cross-compiling only: nothing here can run it; Windows also runs under
# Wine, make test-windows).
CROSS      := windows/amd64 darwin/arm64 darwin/amd64 linux/arm64

.PHONY: bench-speed abi-plugins go-check tools-apt cc-check docs demo-plugins staticcheck mutate mutate-cases mutate-e2e mutate-report cover-e2e all build plugins rust-plugins cross-plugins demo test test-go test-race test-sdk fuzz fuzz-short cross lint bench tools clean \
	test-windows windows-tools windows-plugins

all: build plugins

## tools: what make test needs; as root on Debian or Ubuntu, installs what is
## missing (apt-get), as CI does; otherwise prints the one command to run.
## Rust comes from rustup: Debian's cargo is too old for the SDK's edition.
# Each tool as "command:Debian package".
TOOLS := $(CC):gcc $(CLANG):clang ld.lld:lld $(if $(LIPO),,llvm-lipo:llvm) $(MINGW_CC):gcc-mingw-w64-x86-64 npm:npm \
         shellcheck:shellcheck
# Microsoft's SARIF validator, which the end-to-end tests run on every SARIF
# log they make: a self-contained .NET program from npm.
SARIF_MULTITOOL_VERSION := 5.7.0
SARIF_MULTITOOL := $(BUILD)/tools/sarif-multitool/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
tools: go-check tools-apt $(SARIF_MULTITOOL)

$(SARIF_MULTITOOL): | tools-apt
	npm install --silent --no-audit --no-fund --prefix $(BUILD)/tools/sarif-multitool @microsoft/sarif-multitool-linux@$(SARIF_MULTITOOL_VERSION)
	@# npm no longer runs the package's install script (chmod u+x) by default.
	chmod u+x $@
	DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 $@ --version >/dev/null 2>&1

tools-apt: go-check
	@command -v $(CARGO) >/dev/null || { echo "make: cargo not found: install Rust with rustup (https://rustup.rs); it builds the Rust samples and tests the SDK" >&2; exit 1; }
	@$(CARGO) fmt --version >/dev/null 2>&1 || { echo "make: rustfmt not found (make lint runs it): rustup component add rustfmt" >&2; exit 1; }
	@need=(); for t in $(TOOLS); do command -v "$${t%%:*}" >/dev/null || need+=("$${t##*:}"); done; \
	if (( $${#need[@]} )); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make: installing $${need[*]} (Debian packages) for the tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$${need[@]}" >/dev/null; \
	  else \
	    echo "make: missing $${need[*]}; on Debian or Ubuntu run: sudo apt-get install -y $${need[*]}" >&2; exit 1; \
	  fi; \
	fi

go-check:
	@command -v $(GO) >/dev/null || { echo "make: go not found: install Go $$(sed -n 's/^go //p' go.mod) or newer from https://go.dev/dl" >&2; exit 1; }

cc-check:
	@command -v $(CC) >/dev/null || { echo "make: no C compiler ($(CC)) to build the sample plugins; on Debian or Ubuntu run: sudo apt-get install -y gcc" >&2; exit 1; }

## docs: write the reference (docs/reference, docs/man) from the command tree
docs: go-check
	$(GO) run ./cmd/gendocs docs

## build: build/plugctl (needs Go only)
build: go-check
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(PLUGCTL) ./cmd/plugctl

# ---- sample plugins --------------------------------------------------------

CSRC      := testdata/plugins/c
CFLAGS    := -O2 -g -Wall -Wextra -Werror -fPIC -fvisibility=hidden -Isdk/c
C_PLUGINS := plain escape sdk_hello refuse crash future table_size manifest_short bad_magic thread hostile_log noentry undefined \
             ctor_crash abort exit0 loop null_message absurd_length bad_utf8 escapes flood hog \
             late_crash late_exit daemon closefds replace_fds dup34 forge sigkill markup
# state.c built once per change it makes to the state a host shares (-DSTATE_x).
STATES    := chdir umask sigsegv sigpipe sigchld sigmask env locale rlimit fd alarm stdin stdout meddle
C_LIBS    := $(patsubst %,$(PLUGINS)/lib%.so,$(C_PLUGINS)) $(patsubst %,$(PLUGINS)/libstate_%.so,$(STATES)) \
             $(PLUGINS)/libdaemon_crash.so $(PLUGINS)/libonce_late_crash.so $(PLUGINS)/liblate_stop.so
RUST_PLUGINS := plain_rust sdk_rust mangled links_host panic_rust
RUST_LIBS := $(patsubst %,$(PLUGINS)/lib%.so,$(RUST_PLUGINS))
DEP_PLUGINS := librpath.so librunpath.so libuses_b.so libtransitive.so libneeds_version.so libctor_marker.so \
               libinherit_rpath.so libinherit_runpath.so librpath_soname.so
TMP       := $(BUILD)/tmp

## plugins: build the sample and hostile plugins into build/plugins, and the
## fixtures for other systems into build/plugins/cross
plugins: tools cc-check $(C_LIBS) $(PLUGINS)/libneeds_missing.so $(PLUGINS)/program rust-plugins \
	$(addprefix $(PLUGINS)/,$(DEP_PLUGINS)) $(PLUGINS)/deps/i386/libplugdep.so cross-plugins \
	$(PLUGINS)/debuginfo/libsdk_hello.debug.so $(PLUGINS)/debuginfo/cross.debug.dll abi-plugins

$(PLUGINS):
	@mkdir -p $@

$(PLUGINS)/lib%.so: $(CSRC)/%.c sdk/c/plugctl.h | $(PLUGINS)
	$(CC) $(CFLAGS) -shared -pthread -o $@ $<

$(PLUGINS)/libstate_%.so: $(CSRC)/state.c sdk/c/plugctl.h | $(PLUGINS)
	$(CC) $(CFLAGS) -DSTATE_$* -shared -pthread -o $@ $<

# Crashes late only the first time it is loaded (PLUGCTL_ONCE_MARKER).
$(PLUGINS)/libonce_late_crash.so: $(CSRC)/late_crash.c sdk/c/plugctl.h | $(PLUGINS)
	$(CC) $(CFLAGS) -DONCE -shared -pthread -o $@ $<

# A thread that stops the whole process (SIGSTOP) after init_plugin.
$(PLUGINS)/liblate_stop.so: $(CSRC)/late_exit.c sdk/c/plugctl.h | $(PLUGINS)
	$(CC) $(CFLAGS) -DSTOP -shared -pthread -o $@ $<

# The daemon, and a thread that crashes the host once it runs.
$(PLUGINS)/libdaemon_crash.so: $(CSRC)/daemon.c sdk/c/plugctl.h | $(PLUGINS)
	$(CC) $(CFLAGS) -DCRASH_LATER -shared -pthread -o $@ $<

# Linked against a library that is then deleted: its dependency is missing.
$(PLUGINS)/libneeds_missing.so: $(CSRC)/needs_missing.c $(CSRC)/gone.c sdk/c/plugctl.h | $(PLUGINS)
	@mkdir -p $(BUILD)/tmp
	$(CC) $(CFLAGS) -shared -o $(BUILD)/tmp/libplugctl_gone.so $(CSRC)/gone.c
	$(CC) $(CFLAGS) -shared -o $@ $< -L$(BUILD)/tmp -lplugctl_gone
	rm -f $(BUILD)/tmp/libplugctl_gone.so

$(PLUGINS)/program: $(CSRC)/program.c | $(PLUGINS)
	$(CC) -O2 -o $@ $<

# Two copies of libplugdep.so, in deps/a and deps/b, and plugins that find it
# through DT_RPATH or DT_RUNPATH $ORIGIN/deps/a; a 32-bit copy in deps/i386
# that the loader must skip.
$(PLUGINS)/deps/%/libplugdep.so: $(CSRC)/plugdep.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -shared -Wl,-soname,libplugdep.so -DDEP_WHERE='"$*"' -o $@ $<

$(PLUGINS)/deps/i386/libplugdep.so: $(CSRC)/plugdep.c
	@mkdir -p $(@D)
	$(CLANG) -target i386-linux-gnu -ffreestanding -nostdlib -fuse-ld=lld -shared -fPIC -o $@ $<

$(PLUGINS)/librpath.so: $(CSRC)/uses_dep.c $(PLUGINS)/deps/a/libplugdep.so $(PLUGINS)/deps/b/libplugdep.so
	$(CC) $(CFLAGS) -shared -o $@ $< -L$(PLUGINS)/deps/a -lplugdep -Wl,--disable-new-dtags,-rpath,'$$ORIGIN/deps/a'

$(PLUGINS)/librunpath.so: $(CSRC)/uses_dep.c $(PLUGINS)/deps/a/libplugdep.so $(PLUGINS)/deps/b/libplugdep.so
	$(CC) $(CFLAGS) -shared -o $@ $< -L$(PLUGINS)/deps/a -lplugdep -Wl,--enable-new-dtags,-rpath,'$$ORIGIN/deps/a'

# The copy in deps/b, with the same soname: a worker that loaded librpath.so
# must not serve it.
$(PLUGINS)/libuses_b.so: $(CSRC)/uses_dep.c $(PLUGINS)/deps/b/libplugdep.so
	$(CC) $(CFLAGS) -shared -o $@ $< -L$(PLUGINS)/deps/b -lplugdep -Wl,-rpath,'$$ORIGIN/deps/b'

# libinherit_rpath.so and libinherit_runpath.so -> deps/inh/libinhmid.so ->
# libplugdep.so, which only the plugin's own search path finds: a DT_RPATH
# is inherited by the libraries the plugin loads, a DT_RUNPATH is not.
$(PLUGINS)/deps/inh/libinhmid.so: $(CSRC)/inhmid.c $(PLUGINS)/deps/a/libplugdep.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -shared -o $@ $< -L$(PLUGINS)/deps/a -lplugdep

$(PLUGINS)/libinherit_%.so: $(CSRC)/inherit.c $(PLUGINS)/deps/inh/libinhmid.so
	$(CC) $(CFLAGS) -shared -o $@ $< -L$(PLUGINS)/deps/inh -linhmid -Wl,-rpath-link,$(PLUGINS)/deps/a \
	  -Wl,--$(if $(filter rpath,$*),disable,enable)-new-dtags,-rpath,'$$ORIGIN/deps/inh:$$ORIGIN/deps/a'

# DT_RPATH $ORIGIN/deps/a, and the string $ORIGIN/deps/b as its soname: the
# deps tests turn that DT_SONAME into a DT_RUNPATH, which no linker writes
# beside a DT_RPATH, and which makes the loader ignore the DT_RPATH.
$(PLUGINS)/librpath_soname.so: $(CSRC)/uses_dep.c $(PLUGINS)/deps/a/libplugdep.so $(PLUGINS)/deps/b/libplugdep.so
	$(CC) $(CFLAGS) -shared -o $@ $< -L$(PLUGINS)/deps/a -lplugdep \
	  -Wl,--disable-new-dtags,-rpath,'$$ORIGIN/deps/a',-soname,'$$ORIGIN/deps/b'

# libtransitive.so -> deps/mid/libplugmid.so -> libplugctl_gone.so (deleted).
$(PLUGINS)/libtransitive.so: $(CSRC)/transitive.c $(CSRC)/mid.c $(CSRC)/gone.c
	@mkdir -p $(TMP) $(PLUGINS)/deps/mid
	$(CC) $(CFLAGS) -shared -o $(TMP)/libplugctl_gone.so $(CSRC)/gone.c
	$(CC) $(CFLAGS) -shared -o $(PLUGINS)/deps/mid/libplugmid.so $(CSRC)/mid.c -L$(TMP) -lplugctl_gone
	$(CC) $(CFLAGS) -shared -o $@ $< -L$(PLUGINS)/deps/mid -lplugmid -Wl,-rpath,'$$ORIGIN/deps/mid'
	rm -f $(TMP)/libplugctl_gone.so

# Linked against libverdep.so with VERDEP_2, deployed beside the VERDEP_1 one.
$(PLUGINS)/libneeds_version.so: $(CSRC)/needs_version.c $(CSRC)/verdep.c $(CSRC)/verdep1.map $(CSRC)/verdep2.map
	@mkdir -p $(TMP)/ver2 $(PLUGINS)/deps/ver1
	$(CC) -O2 -fPIC -shared -Wl,-soname,libverdep.so -Wl,--version-script=$(CSRC)/verdep2.map -DVERDEP_2 -o $(TMP)/ver2/libverdep.so $(CSRC)/verdep.c
	$(CC) -O2 -fPIC -shared -Wl,-soname,libverdep.so -Wl,--version-script=$(CSRC)/verdep1.map -o $(PLUGINS)/deps/ver1/libverdep.so $(CSRC)/verdep.c
	$(CC) $(CFLAGS) -shared -o $@ $< -L$(TMP)/ver2 -lverdep -Wl,-rpath,'$$ORIGIN/deps/ver1'

rust-plugins: | $(PLUGINS)
	$(CARGO) build --release --offline --quiet --manifest-path testdata/plugins/rust/Cargo.toml
	@# Linked against Rust's dynamic standard library, as old tutorials advise.
	$(CARGO) rustc --release --offline --quiet --manifest-path testdata/plugins/rust/Cargo.toml -p std_dylib -- -C prefer-dynamic
	@for p in $(RUST_PLUGINS) std_dylib; do cp -f $(CARGO_TARGET_DIR)/release/lib$$p.so $(PLUGINS)/; done

# ---- fixtures for other systems ---------------------------------------------
# Freestanding builds of testdata/plugins/cross: plugctl must read them on any
# host. clang + lld build ELF and Mach-O, mingw-w64 builds the DLLs.

XSRC  := testdata/plugins/cross
XOUT  := $(PLUGINS)/cross
XCC    = $(CLANG) -target $(1) -ffreestanding -nostdlib -fuse-ld=lld -fPIC -fvisibility=hidden -Isdk/c -O2
CROSS_FIXTURES := libcross_aarch64.so libcross_i386.so libcross_ppc64.so libcross_ppc.so \
	cross_x86_64.dylib cross_arm64.dylib cross_universal.dylib cross_rpath.dylib \
	cross.dll cross_needs.dll cross_exe

cross-plugins: $(addprefix $(XOUT)/,$(CROSS_FIXTURES))

$(XOUT)/libcross_%.so: $(XSRC)/cross.c sdk/c/plugctl.h
	@mkdir -p $(@D)
	$(call XCC,$(patsubst ppc%,powerpc%,$*)-linux-gnu) -shared -o $@ $<

$(XOUT)/cross_%.dylib: $(XSRC)/cross.c sdk/c/plugctl.h
	@mkdir -p $(@D)
	$(call XCC,$*-apple-macos11) -shared -o $@ $<

$(XOUT)/cross_universal.dylib: $(XOUT)/cross_x86_64.dylib $(XOUT)/cross_arm64.dylib
	$(LIPO) -create $^ -output $@

# Needs @rpath/libcrossdep.dylib (found through LC_RPATH @loader_path/macdeps)
# and @rpath/libcrossgone.dylib (deleted after linking).
$(XOUT)/cross_rpath.dylib: $(XSRC)/cross.c $(XSRC)/crossdep.c sdk/c/plugctl.h
	@mkdir -p $(XOUT)/macdeps $(TMP)
	$(call XCC,arm64-apple-macos11) -shared -install_name @rpath/libcrossdep.dylib -o $(XOUT)/macdeps/libcrossdep.dylib $(XSRC)/crossdep.c
	$(call XCC,arm64-apple-macos11) -shared -install_name @rpath/libcrossgone.dylib -o $(TMP)/libcrossgone.dylib $(XSRC)/crossdep.c
	$(call XCC,arm64-apple-macos11) -shared -DCROSS_DEP -o $@ $< $(XOUT)/macdeps/libcrossdep.dylib $(TMP)/libcrossgone.dylib -Wl,-rpath,@loader_path/macdeps
	rm -f $(TMP)/libcrossgone.dylib

# A Mach-O executable: __mh_execute_header, main, and no plugin.
$(XOUT)/cross_exe: $(XSRC)/crossexe.c
	@mkdir -p $(@D)
	$(call XCC,arm64-apple-macos11) -o $@ $<

$(XOUT)/cross.dll: $(XSRC)/cross.c sdk/c/plugctl.h
	@mkdir -p $(@D)
	$(MINGW_CC) -O2 -s -shared -Isdk/c -o $@ $<

# Imports crossdep.dll, which sits beside it.
$(XOUT)/cross_needs.dll: $(XSRC)/cross.c $(XSRC)/crossdep.c sdk/c/plugctl.h
	@mkdir -p $(@D)
	$(MINGW_CC) -O2 -s -shared -o $(XOUT)/crossdep.dll $(XSRC)/crossdep.c
	$(MINGW_CC) -O2 -s -shared -Isdk/c -DCROSS_DEP -o $@ $< $(XOUT)/crossdep.dll

# ---- plugins of described ABIs (testdata/abi, docs/abi-description.md) -----
# The GStreamer-like descriptor, built for 1.2 (compatible with a 1.4 host),
# 1.6 and 2.0 (not), for Linux, 32-bit Linux, Windows and macOS; one whose
# descriptor is not the host's type; VLC-like entry symbols for 3.0 and
# 4.0; an OBS-like handshake; a callback table of other names; a CLAP-like
# entry struct built for 1.1 and 2.0, and one each that refuses, crashes
# and has no init.
AOUT := $(PLUGINS)/abi
ASRC := testdata/plugins/abi
ABI_FIXTURES := libgst_1_2.so libgst_1_6.so libgst_2_0.so libgst_short.so libgst_1_2_i386.so libgst_1_6_i386.so \
	gst_1_2.dll gst_1_6_arm64.dylib libvlc_3_0.so libvlc_4_0.so libobs.so libtable.so libgst_crash.so \
	libclap_1_1.so libclap_2_0.so libclap_refuse.so libclap_crash.so libclap_noinit.so
AFLAGS = -O2 -fPIC -fvisibility=hidden -Itestdata/abi -shared

abi-plugins: $(addprefix $(AOUT)/,$(ABI_FIXTURES))

$(AOUT)/libgst_short.so: $(ASRC)/gstlike.c testdata/abi/gstlike.h
	@mkdir -p $(@D)
	$(CC) $(AFLAGS) -DSHORT -o $@ $<
$(AOUT)/libgst_crash.so: $(ASRC)/gstlike.c testdata/abi/gstlike.h
	@mkdir -p $(@D)
	$(CC) $(AFLAGS) -DCRASH -DMAJOR=1 -DMINOR=2 -o $@ $<
$(AOUT)/libgst_%_i386.so: $(ASRC)/gstlike.c testdata/abi/gstlike.h
	@mkdir -p $(@D)
	$(call XCC,i386-linux-gnu) -Itestdata/abi -shared -DMAJOR=$(word 1,$(subst _, ,$*)) -DMINOR=$(word 2,$(subst _, ,$*)) -o $@ $<
$(AOUT)/libgst_%.so: $(ASRC)/gstlike.c testdata/abi/gstlike.h
	@mkdir -p $(@D)
	$(CC) $(AFLAGS) -DMAJOR=$(word 1,$(subst _, ,$*)) -DMINOR=$(word 2,$(subst _, ,$*)) -o $@ $<
$(AOUT)/gst_%_arm64.dylib: $(ASRC)/gstlike.c testdata/abi/gstlike.h
	@mkdir -p $(@D)
	$(call XCC,arm64-apple-macos11) -Itestdata/abi -shared -DMAJOR=$(word 1,$(subst _, ,$*)) -DMINOR=$(word 2,$(subst _, ,$*)) -o $@ $<
$(AOUT)/gst_%.dll: $(ASRC)/gstlike.c testdata/abi/gstlike.h
	@mkdir -p $(@D)
	$(MINGW_CC) -O2 -s -shared -Itestdata/abi -DMAJOR=$(word 1,$(subst _, ,$*)) -DMINOR=$(word 2,$(subst _, ,$*)) -o $@ $<
$(AOUT)/libvlc_%.so: $(ASRC)/vlclike.c testdata/abi/vlclike.h
	@mkdir -p $(@D)
	$(CC) $(AFLAGS) -DNAME=$* -o $@ $<
$(AOUT)/libobs.so: $(ASRC)/obslike.c testdata/abi/obslike.h
	@mkdir -p $(@D)
	$(CC) $(AFLAGS) -o $@ $<
$(AOUT)/libtable.so: $(ASRC)/tablelike.c testdata/abi/tablelike.h
	@mkdir -p $(@D)
	$(CC) $(AFLAGS) -o $@ $<
$(AOUT)/libclap_refuse.so $(AOUT)/libclap_crash.so $(AOUT)/libclap_noinit.so: $(AOUT)/libclap_%.so: $(ASRC)/claplike.c testdata/abi/claplike.h
	@mkdir -p $(@D)
	$(CC) $(AFLAGS) -D$(shell echo $* | tr a-z A-Z) -DMAJOR=1 -DMINOR=1 -o $@ $<
$(AOUT)/libclap_%.so: $(ASRC)/claplike.c testdata/abi/claplike.h
	@mkdir -p $(@D)
	$(CC) $(AFLAGS) -DMAJOR=$(word 1,$(subst _, ,$*)) -DMINOR=$(word 2,$(subst _, ,$*)) -o $@ $<

# Debug-info files split off a plugin (objcopy --only-keep-debug): headers
# intact, linking tables gone. Never candidates of a plain build/plugins run.
$(PLUGINS)/debuginfo/libsdk_hello.debug.so: $(PLUGINS)/libsdk_hello.so
	@mkdir -p $(@D)
	objcopy --only-keep-debug $< $@

$(PLUGINS)/debuginfo/cross.debug.dll: $(XOUT)/cross.dll
	@mkdir -p $(@D)
	$(MINGW_CC:gcc=objcopy) --only-keep-debug $< $@

# ---- Windows, run under Wine -----------------------------------------------
# plugctl.exe, its end-to-end test binary and Windows builds of the sample and
# hostile plugins, run under Debian's wine64 in a private prefix (build/windows
# /prefix). Go 1.22+ needs ProcessPrng from bcryptprimitives.dll at start-up,
# which Wine 8 lacks: the prefix gets a stand-in built from
# testdata/plugins/windows/bcryptprimitives.c (a test harness, never shipped).

WINE       ?= $(firstword $(shell command -v wine64 /usr/lib/wine/wine64 2>/dev/null))
WINESERVER ?= $(firstword $(shell command -v wineserver /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver 2>/dev/null))
MINGW32_CC ?= i686-w64-mingw32-gcc
WIN        := $(BUILD)/windows
WINPLUG    := $(WIN)/plugins
WSRC       := testdata/plugins/windows
WCFLAGS    := -O2 -Wall -Wextra -Werror -Isdk/c
WIN_ENV     = WINEPREFIX=$(abspath $(WIN)/prefix) WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=' \
	PLUGCTL_PLUGINS=Z:$(abspath $(WINPLUG)) PLUGCTL_UNDER_WINE=1
# The C samples that build unchanged for Windows, and the Windows twins of the
# ones that use fork or pthreads.
WIN_C      := plain sdk_hello refuse crash future table_size manifest_short bad_magic hostile_log noentry \
              ctor_crash ctor_marker abort exit0 null_message absurd_length bad_utf8 escapes flood hog forge
WIN_OWN    := loop daemon thread late_crash search
WIN_EXCEPT := stack_overflow illegal heap_corruption cxx_exception fast_fail
# Plugins of described ABIs (testdata/abi), run by windows_abi.txtar.
WIN_ABI    := gst_1_2.dll gst_2_0.dll gst_crash.dll table.dll clap_1_1.dll clap_crash.dll
WIN_DLLS   := $(patsubst %,$(WINPLUG)/lib%.dll,$(WIN_C) $(WIN_OWN)) \
              $(patsubst %,$(WINPLUG)/libexc_%.dll,$(WIN_EXCEPT)) \
              $(WINPLUG)/libplain_i686.dll $(WINPLUG)/sleeper.exe \
              $(patsubst %,$(WINPLUG)/searchdep/%/searchdep.dll,beside cwd path system32 app) \
              $(WINPLUG)/libsearch_upper.dll $(WIN_ABI:%=$(WINPLUG)/abi/%)

## windows-tools: check for (as root on Debian: install) wine64 and mingw-w64
windows-tools:
	@need=(); \
	[ -n "$(WINE)" ] || need+=(wine64); \
	command -v $(MINGW_CC) >/dev/null || need+=(gcc-mingw-w64-x86-64); \
	command -v $(MINGW32_CC) >/dev/null || need+=(gcc-mingw-w64-i686); \
	command -v script >/dev/null || need+=(bsdutils); \
	if (( $${#need[@]} )); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make: installing $${need[*]} (Debian packages) for the Windows tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$${need[@]}" >/dev/null; \
	  else \
	    echo "make: test-windows needs: $${need[*]}; on Debian or Ubuntu: sudo apt-get install $${need[*]}" >&2; exit 1; \
	  fi; \
	fi

windows-plugins: $(WIN_DLLS)

# The Windows twins first: make takes the first pattern rule that applies.
$(WINPLUG)/lib%.dll: $(WSRC)/%.c $(WSRC)/winplug.h sdk/c/plugctl.h
	@mkdir -p $(@D)
	$(MINGW_CC) $(WCFLAGS) -shared -o $@ $<

$(WINPLUG)/lib%.dll: $(CSRC)/%.c sdk/c/plugctl.h
	@mkdir -p $(@D)
	$(MINGW_CC) $(WCFLAGS) -shared -o $@ $<

$(WINPLUG)/abi/gst_crash.dll: $(ASRC)/gstlike.c testdata/abi/gstlike.h
	@mkdir -p $(@D)
	$(MINGW_CC) -O2 -shared -Itestdata/abi -DCRASH -DMAJOR=1 -DMINOR=2 -o $@ $<
$(WINPLUG)/abi/gst_%.dll: $(ASRC)/gstlike.c testdata/abi/gstlike.h
	@mkdir -p $(@D)
	$(MINGW_CC) -O2 -shared -Itestdata/abi -DMAJOR=$(word 1,$(subst _, ,$*)) -DMINOR=$(word 2,$(subst _, ,$*)) -o $@ $<
$(WINPLUG)/abi/table.dll: $(ASRC)/tablelike.c testdata/abi/tablelike.h
	@mkdir -p $(@D)
	$(MINGW_CC) -O2 -shared -Itestdata/abi -o $@ $<
$(WINPLUG)/abi/clap_crash.dll: $(ASRC)/claplike.c testdata/abi/claplike.h
	@mkdir -p $(@D)
	$(MINGW_CC) -O2 -shared -Itestdata/abi -DCRASH -DMAJOR=1 -DMINOR=1 -o $@ $<
$(WINPLUG)/abi/clap_%.dll: $(ASRC)/claplike.c testdata/abi/claplike.h
	@mkdir -p $(@D)
	$(MINGW_CC) -O2 -shared -Itestdata/abi -DMAJOR=$(word 1,$(subst _, ,$*)) -DMINOR=$(word 2,$(subst _, ,$*)) -o $@ $<

$(WINPLUG)/sleeper.exe: $(WSRC)/sleeper.c
	@mkdir -p $(@D)
	$(MINGW_CC) $(WCFLAGS) -o $@ $<

# Each raises one exception: two happen for real, the others are raised with
# the code the C runtime or the system would use.
EXC_FLAGS_stack_overflow  := -DSTACK_OVERFLOW
EXC_FLAGS_illegal         := -DILLEGAL
EXC_FLAGS_heap_corruption := -DRAISE=0xC0000374
EXC_FLAGS_cxx_exception   := -DRAISE=0xE06D7363
EXC_FLAGS_fast_fail       := -DRAISE=0xC0000409
$(WINPLUG)/libexc_%.dll: $(WSRC)/exception.c sdk/c/plugctl.h
	@mkdir -p $(@D)
	$(MINGW_CC) $(WCFLAGS) $(EXC_FLAGS_$*) -shared -o $@ $<

# A 32-bit DLL, for the wrong-architecture error.
$(WINPLUG)/libplain_i686.dll: $(CSRC)/plain.c sdk/c/plugctl.h
	@mkdir -p $(@D)
	$(MINGW32_CC) $(WCFLAGS) -shared -o $@ $<

# searchdep.dll in four copies, each naming where the test puts it;
# libsearch.dll imports it and is built against the first.
$(WINPLUG)/searchdep/%/searchdep.dll: $(WSRC)/searchdep.c
	@mkdir -p $(@D)
	$(MINGW_CC) $(WCFLAGS) -DDEP_WHERE='"$*"' -shared -o $@ $<

$(WINPLUG)/libsearch.dll: $(WSRC)/search.c $(WINPLUG)/searchdep/beside/searchdep.dll sdk/c/plugctl.h
	$(MINGW_CC) $(WCFLAGS) -shared -o $@ $< $(WINPLUG)/searchdep/beside/searchdep.dll

# The same plugin importing SEARCHDEP.DLL: Windows matches module names
# without regard to case.
$(WINPLUG)/libsearch_upper.dll: $(WSRC)/search.c $(WSRC)/searchdep.c sdk/c/plugctl.h
	@mkdir -p $(WINPLUG)/searchdep/upper
	$(MINGW_CC) $(WCFLAGS) -DDEP_WHERE='"upper"' -shared -o $(WINPLUG)/searchdep/upper/SEARCHDEP.DLL $(WSRC)/searchdep.c
	$(MINGW_CC) $(WCFLAGS) -shared -o $@ $< $(WINPLUG)/searchdep/upper/SEARCHDEP.DLL

$(WIN)/plugctl.exe: FORCE
	@mkdir -p $(@D)
	GOOS=windows GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/plugctl

# The end-to-end tests (cmd/plugctl), built for Windows: under Wine, "plugctl"
# in a script is this binary, as on Linux. And the unit tests of the packages
# with Windows code of their own: the worker's (exit statuses, the job
# object) and procstate's (which threads are the plugin's).
WIN_UNITS := worker procstate
$(WIN)/plugctl.test.exe: FORCE
	@mkdir -p $(@D)
	GOOS=windows GOARCH=amd64 $(GO) test -c -o $@ ./cmd/plugctl

$(WIN)/%.test.exe: FORCE
	@mkdir -p $(@D)
	GOOS=windows GOARCH=amd64 $(GO) test -c -o $@ ./internal/$*

$(WIN)/prefix/.ready: $(WSRC)/bcryptprimitives.c
	@mkdir -p $(WIN)/prefix
	$(WIN_ENV) $(WINE) wineboot -i >/dev/null 2>&1
	$(MINGW_CC) -O2 -Wall -Werror -shared -o $(WIN)/prefix/drive_c/windows/system32/bcryptprimitives.dll $< -ladvapi32
	@# A just-in-time debugger that does nothing: an unhandled exception ends
	@# the process with its code at once, as on Windows with error reporting,
	@# instead of in winedbg's register dump (which takes half a second).
	$(WIN_ENV) $(WINE) reg add 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' \
	  /v Debugger /d 'C:\windows\system32\cmd.exe /c rem %ld %ld' /f >/dev/null 2>&1
	$(WIN_ENV) $(WINE) --version >$@

## test-windows: run plugctl.exe's end-to-end tests under Wine
# Under script(1): a pseudo-terminal gives the Wine processes a console, which
# Ctrl-C needs; the test binary's output goes to a log, not through the
# console. testscript then exits 1 after PASS because Go's RemoveAll cannot
# delete its temporary copies of the test binary under Wine 8 ("Invalid
# function"): that one line after PASS is not a failure. The wineserver is
# kept running throughout, with the prefix's services booted before the
# tests: otherwise, when it exits between two runs, the next Wine process
# boots them again, and a worker may find rpcss.exe or svchost.exe among its
# descendants. wineserver -k at the end leaves nothing running.
WINLOG := $(WIN)/test.log
test-windows: windows-tools $(WIN)/prefix/.ready $(WIN)/plugctl.exe $(WIN)/plugctl.test.exe $(WIN_UNITS:%=$(WIN)/%.test.exe) windows-plugins
	@echo "test-windows: $$(cat $(WIN)/prefix/.ready) in $(WIN)/prefix; log in $(WINLOG)"
	@start=$$(date +%s); status=0; \
	$(WIN_ENV) $(WINESERVER) -p && $(WIN_ENV) $(WINE) cmd /c exit >/dev/null 2>&1; \
	: >$(WINLOG); \
	for pkg in $(WIN_UNITS); do \
	  $(WIN_ENV) $(WINE) $(WIN)/$$pkg.test.exe -test.count=1 >>$(WINLOG) 2>&1 || \
	    { cat $(WINLOG) >&2; $(WIN_ENV) $(WINESERVER) -k 2>/dev/null || true; echo "make: test-windows: internal/$$pkg's unit tests failed under Wine" >&2; exit 1; }; \
	  echo "internal/$$pkg unit tests: $$(tail -1 $(WINLOG))"; \
	done; \
	(cd cmd/plugctl && $(WIN_ENV) script -qec \
	  '$(WINE) ../../$(WIN)/plugctl.test.exe -test.run "^(TestScripts|TestConsole)$$" -test.count=1 $(WINTESTFLAGS) >>../../$(WINLOG) 2>&1' \
	  /dev/null </dev/null >/dev/null) || status=$$?; \
	$(WIN_ENV) $(WINESERVER) -k 2>/dev/null || true; \
	if [ $$status = 1 ] && tail -2 $(WINLOG) | head -1 | grep -qx PASS && tail -1 $(WINLOG) | grep -q 'cannot delete temporary directory'; then status=0; fi; \
	if [ $$status != 0 ]; then grep -v '^wine: Unhandled' $(WINLOG) | tail -150 >&2; echo "make: test-windows failed (status $$status); the whole log is in $(WINLOG)" >&2; exit 1; fi; \
	grep -E '^(--- |ok|PASS)' $(WINLOG) || true; \
	echo "test-windows: passed in $$(( $$(date +%s) - start )) s"

FORCE:

# ---- demo ------------------------------------------------------------------

## demo: build plugctl and the samples, then run plugctl on them (needs Go
## and a C compiler; the Rust samples and the fixtures for other systems
## only where cargo, clang + lld and mingw-w64 are installed)
HAVE_CARGO := $(shell command -v $(CARGO) 2>/dev/null)
HAVE_CLANG := $(and $(shell command -v $(CLANG) 2>/dev/null),$(shell command -v ld.lld 2>/dev/null))
HAVE_MINGW := $(shell command -v $(MINGW_CC) 2>/dev/null)
DEMO_CROSS := $(strip $(if $(HAVE_CLANG),libcross_aarch64.so libcross_i386.so cross_arm64.dylib $(if $(LIPO),cross_universal.dylib)) \
	$(if $(HAVE_MINGW),cross.dll))
demo-plugins: cc-check $(C_LIBS) $(PLUGINS)/libneeds_missing.so $(PLUGINS)/libtransitive.so \
	$(if $(HAVE_CARGO),rust-plugins) $(addprefix $(XOUT)/,$(DEMO_CROSS))
	@$(if $(HAVE_CARGO),,echo "demo: no cargo: the Rust samples are left out (apt-get install cargo)";) \
	$(if $(HAVE_CLANG),,echo "demo: no clang + lld: the ELF and Mach-O fixtures for other systems are left out (apt-get install clang lld)";) \
	$(if $(HAVE_MINGW),,echo "demo: no mingw-w64: the Windows DLL fixture is left out (apt-get install gcc-mingw-w64-x86-64)";) true

# The samples that exist: the Rust ones only where cargo built them.
demo_have = $(foreach p,$(1),$(if $(or $(HAVE_CARGO),$(filter-out %_rust.so libmangled.so,$(p))),$(PLUGINS)/$(p)))
DEMO_LOAD := $(call demo_have,libsdk_hello.so libsdk_rust.so libplain.so libplain_rust.so)
DEMO_FAIL := $(call demo_have,libmangled.so libneeds_missing.so libfuture.so)

demo: build demo-plugins
	@echo '$$ plugctl load $(DEMO_LOAD)'
	@$(PLUGCTL) load $(DEMO_LOAD)
	@echo
	@echo '$$ plugctl load --wait 1s build/plugins/libthread.so | tail -3'
	@$(PLUGCTL) load --wait 1s $(PLUGINS)/libthread.so | tail -3
	@echo
	@echo '$$ plugctl load $(DEMO_FAIL)   # these fail on purpose'
	@$(PLUGCTL) load $(DEMO_FAIL) || echo "(exit status $$?)"
	@echo
	@echo '$$ plugctl inspect --tree build/plugins/libtransitive.so   # reads the file; runs nothing'
	@$(PLUGCTL) inspect --tree $(PLUGINS)/libtransitive.so || echo "(exit status $$?)"
	@echo
	@echo '$$ plugctl list --all $(if $(DEMO_CROSS),build/plugins/cross) build/plugins'
	@$(PLUGCTL) list --all $(if $(DEMO_CROSS),$(PLUGINS)/cross) $(PLUGINS) || echo "(exit status $$?)"
	@echo
	@echo '$$ plugctl verify --timeout 2s --format github build/plugins   # every sample, hostile ones included, each in a worker'
	@$(PLUGCTL) verify --timeout 2s --format github $(PLUGINS) || echo "(exit status $$?)"

# ---- tests -----------------------------------------------------------------

## test: everything CI checks
test: tools lint plugins test-go test-race test-sdk fuzz-short cross

test-go: plugins
	$(GO) test -count=1 ./...

# The packages with concurrency (workers, verify, the CLI's printers, the host
# callbacks, large files' findings and JSON written in halves) under the race
# detector, which needs cgo for its runtime.
test-race: plugins
	CGO_ENABLED=1 $(GO) test -count=1 -race ./internal/worker ./internal/verify ./internal/cli ./internal/hostapi ./internal/synth ./internal/preflight ./internal/jsonout

test-sdk: tools
	$(CARGO) test --offline --quiet --manifest-path sdk/rust/Cargo.toml

## fuzz-short: run every fuzz target (func FuzzXxx in a _test.go file) for
## FUZZTIME, default 10s; make test runs it.
# Minimising is capped: on 16 KB seeds Go's default of 60s per input stalls a
# short run. A failing input is saved under the package's testdata/fuzz. Go
# 1.26's coordinator can fail a target with "context deadline exceeded" at
# the time limit and no failing input (go.dev/issue/75804, fixed in 1.27):
# that alone is run once more, not taken as a failure.
fuzz-short: plugins
	@grep -rl --include='*_test.go' '^func Fuzz' internal cmd | sort | while read -r f; do \
	  dir=./$$(dirname $$f); \
	  for name in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "fuzz $$dir $$name ($(FUZZTIME))"; \
	    log=$$(mktemp); \
	    for try in 1 2; do \
	      if $(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=3s $$dir >$$log 2>&1; then break; fi; \
	      if [ $$try = 1 ] && grep -q '^    context deadline exceeded$$' $$log && ! grep -q 'Failing input written' $$log; then \
	        echo "fuzz $$name: 'context deadline exceeded' with no failing input (Go 1.26's fuzz coordinator race, go.dev/issue/75804); once more"; \
	        continue; \
	      fi; \
	      grep -v '^fuzz: elapsed' $$log | tail -40 >&2; rm -f $$log; \
	      echo "make: fuzz $$name failed; the input is in $$dir/testdata/fuzz/$$name; rerun: go test -run='^$$' -fuzz='^$$name$$' $$dir" >&2; exit 1; \
	    done; \
	    rm -f $$log; \
	  done; \
	done

## fuzz: run each fuzz target longer (FUZZTIME=5m)
fuzz:
	@$(MAKE) --no-print-directory fuzz-short FUZZTIME=5m

## cross: check that plugctl builds for the other supported platforms
cross:
	@for p in $(CROSS); do echo "build $$p"; GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -o /dev/null ./cmd/plugctl; done
	@for p in $(CROSS); do GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet ./... ; done

## lint: gofmt, go vet, staticcheck, rustfmt, actionlint (the action, the
## workflows, docs/ci's examples, plugctl new's workflows) and shellcheck;
## each can fail the build
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(BUILD)/tools/staticcheck-$(STATICCHECK_VERSION)

# go-install PACKAGE@VERSION,COMMAND: go install a pinned tool as the
# target, its version in its name, so that a new pin installs afresh.
define go-install
	@mkdir -p $@.tmp
	GOBIN=$(abspath $@.tmp) $(GO) install $(1)
	mv $@.tmp/$(2) $@ && rmdir $@.tmp
endef

$(STATICCHECK):
	$(call go-install,honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION),staticcheck)

ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := $(BUILD)/tools/actionlint-$(ACTIONLINT_VERSION)

$(ACTIONLINT):
	$(call go-install,github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION),actionlint)

lint: tools $(STATICCHECK) $(ACTIONLINT) build
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$bad" ]; then echo "gofmt needed: $$bad" >&2; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	GOOS=windows $(STATICCHECK) ./...
	$(CARGO) fmt --check --manifest-path sdk/rust/Cargo.toml
	$(CARGO) fmt --all --check --manifest-path testdata/plugins/rust/Cargo.toml
	shellcheck docs/ci/*.sh bench/speed.sh
	@rm -rf $(BUILD)/lint && mkdir -p $(BUILD)/lint
	$(PLUGCTL) new --lang c lint_c $(BUILD)/lint/c >/dev/null
	$(PLUGCTL) new --lang rust lint_rust $(BUILD)/lint/rust >/dev/null
	$(ACTIONLINT) .github/workflows/*.yml docs/ci/github-*.yml $(BUILD)/lint/*/.github/workflows/*.yml

# ---- mutation testing ------------------------------------------------------

GREMLINS_VERSION := v0.6.0
GREMLINS   := $(BUILD)/tools/gremlins
MUTATE_PKGS ?= sanitize hostapi loader deps preflight inspect verify worker cli

$(GREMLINS):
	$(call go-install,github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION),gremlins)

## mutate: mutation testing (gremlins) of the internal packages; too slow for
## CI, docs/testing.md has the figures. MUTATE_PKGS="sanitize deps" narrows it.
mutate: plugins $(GREMLINS)
	bench/mutate.sh $(GREMLINS) $(MUTATE_PKGS)

## mutate-cases: after make mutate, try the comparison mutants gremlins calls
## "not covered" (switch cases, which Go's coverage cannot see); rewrites
## sources in place while it runs, so run it on a clean tree.
MUTATE_CASES ?= sanitize hostapi deps preflight inspect
mutate-cases:
	$(GO) run ./bench/casemut $(patsubst %,$(BUILD)/mutate/%.json,$(MUTATE_CASES)) | tee $(BUILD)/mutate/cases.log

## mutate-e2e: after make mutate, try the mutants the unit tests leave alive
## in the packages the end-to-end scripts drive, with those scripts too
## (about 25 s a mutant); rewrites sources in place, so run it on a clean tree.
MUTATE_E2E ?= cli worker verify
mutate-e2e: plugins
	@for p in $(MUTATE_E2E); do \
	  $(GO) run ./bench/casemut -status LIVED -test ./cmd/plugctl $(BUILD)/mutate/$$p.json | tee $(BUILD)/mutate/e2e-$$p.log || exit 1; \
	done

## mutate-report: writes docs/mutants.md, every mutant still alive after
## make mutate (and mutate-e2e, mutate-cases, when run), each with the reason
## bench/mutants.txt gives; fails on one with none.
mutate-report:
	$(GO) run ./bench/mutreport $(patsubst %,-retried %,$(wildcard $(BUILD)/mutate/*.log)) \
	  $(patsubst %,$(BUILD)/mutate/%.json,$(MUTATE_PKGS)) > docs/mutants.md

## cover-e2e: statement coverage, per package, of what the end-to-end
## scripts run: plugctl and its workers, each a coverage-instrumented copy
## of the test binary writing to GOCOVERDIR. For the code unit tests cannot
## reach (launch, process control), which mutation testing cannot measure.
COVERDIR := $(BUILD)/cover-e2e
cover-e2e: plugins
	@rm -rf $(COVERDIR) && mkdir -p $(COVERDIR)/data
	@# The main package must be instrumented too: it is what writes the counters.
	$(GO) build -cover -coverpkg=./... -o $(COVERDIR)/plugctl ./cmd/plugctl
	GOCOVERDIR=$(abspath $(COVERDIR)/data) PLUGCTL_E2E_BINARY=$(abspath $(COVERDIR)/plugctl) \
	  $(GO) test -count=1 -run '^(TestScripts|TestConsole)$$' ./cmd/plugctl
	$(GO) tool covdata percent -i $(COVERDIR)/data

# ---- benchmarks ------------------------------------------------------------

## bench: start-up of plugctl load vs a minimal C host, plugctl list vs ldd,
## and the Go benchmarks (callbacks, file reading, reports)
# Four commands, alternated in one run so that all see the same machine: the
# C host (the baseline), a bare Go program and a minimal purego host (the
# floors any Go host pays), and plugctl load. docs/performance.md has figures.
## bench-speed: issue 17's table: list, --version, load, verify, inspect of large libraries, each against its baseline in the same run
bench-speed: build plugins $(BUILD)/bench/chost
	$(GO) build -o $(BUILD)/bench/gohello ./bench/gohello
	$(GO) build -trimpath -ldflags '-s -w' -o $(BUILD)/bench/gohost ./bench/gohost
	$(GO) build -trimpath -ldflags '-s -w' -o $(BUILD)/bench/checkedhost ./bench/checkedhost
	$(GO) build -o $(BUILD)/bench/startup ./bench/startup
	bench/speed.sh $(abspath $(PLUGCTL)) $(abspath $(BUILD))/bench/startup $(abspath $(BUILD))/bench/chost $(abspath $(BUILD))/bench/gohello $(abspath $(BUILD))/bench/gohost $(abspath $(BUILD))/bench/checkedhost $(abspath $(PLUGINS)) $(abspath $(BUILD))/bench/speed

bench: bench-speed build plugins $(BUILD)/bench/chost
	$(GO) build -o $(BUILD)/bench/gohello ./bench/gohello
	$(GO) build -ldflags '-s -w' -o $(BUILD)/bench/gohost ./bench/gohost
	$(GO) run ./bench/startup -n 300 \
	  -- $(BUILD)/bench/chost $(abspath $(PLUGINS))/libplain.so \
	  -- $(BUILD)/bench/gohello \
	  -- $(BUILD)/bench/gohost $(abspath $(PLUGINS))/libplain.so \
	  -- $(PLUGCTL) load $(abspath $(PLUGINS))/libplain.so
	@# Reading 40 plugins without loading them, against ldd on the same files
	@# (which runs ld.so on each): plugctl list does that and more.
	@rm -rf $(BUILD)/bench/plugins && mkdir -p $(BUILD)/bench/plugins
	@for i in 1 2 3 4; do for p in $(BENCH_PLUGINS); do cp $(PLUGINS)/$$p $(BUILD)/bench/plugins/$${p%.so}_$$i.so; done; done
	@cp -r $(PLUGINS)/deps $(BUILD)/bench/plugins/deps
	$(GO) run ./bench/startup -n 50 \
	  -- sh -c 'ldd $(BUILD)/bench/plugins/*.so >/dev/null' \
	  -- $(PLUGCTL) list $(BUILD)/bench/plugins \
	  -- sh -c '$(PLUGCTL) inspect --format json $(BUILD)/bench/plugins/*.so >/dev/null'
	@# verify on 200 small plugins with -j = cores, against the C host run
	@# once per plugin (a fresh process each), as many at a time.
	@for n in 200 2000; do d=$(BUILD)/bench/verify$$n; rm -rf $$d && mkdir -p $$d; \
	  for i in $$(seq 1 $$((n / 2))); do cp $(PLUGINS)/libplain.so $$d/libplain_$$i.so; \
	    cp $(PLUGINS)/libsdk_hello.so $$d/libsdk_hello_$$i.so; done; done
	$(GO) run ./bench/startup -n 20 -warmup 3 \
	  -- sh -c 'ls $(BUILD)/bench/verify200/*.so | xargs -P $(NPROC) -n1 $(BUILD)/bench/chost >/dev/null' \
	  -- $(PLUGCTL) verify -j $(NPROC) $(BUILD)/bench/verify200
	$(GO) run ./bench/startup -n 3 -warmup 1 \
	  -- sh -c 'ls $(BUILD)/bench/verify200/*.so | xargs -P $(NPROC) -n1 $(BUILD)/bench/chost >/dev/null' \
	  -- $(PLUGCTL) verify --isolation fresh -j $(NPROC) $(BUILD)/bench/verify200
	@# The sandbox's cost: verify with and without --sandbox, the same
	@# plugins, alternated (the issue's goal: at most 1.3x).
	$(GO) run ./bench/startup -n 20 -warmup 3 \
	  -- $(PLUGCTL) verify -j $(NPROC) $(BUILD)/bench/verify200 \
	  -- $(PLUGCTL) verify --sandbox -j $(NPROC) $(BUILD)/bench/verify200
	@# Peak memory of the verifying process itself, 200 and 2000 plugins.
	@for n in 200 2000; do for f in text json; do \
	  $(GO) run ./bench/peakrss -- $(PLUGCTL) verify --format $$f $(BUILD)/bench/verify$$n; done; done
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/...

# Ten loadable plugins, C and Rust, with and without manifests and RUNPATHs.
BENCH_PLUGINS := libplain.so libsdk_hello.so libplain_rust.so libsdk_rust.so librpath.so \
	librunpath.so libthread.so libhostile_log.so librefuse.so libctor_marker.so

$(BUILD)/bench/chost: bench/chost.c
	@mkdir -p $(BUILD)/bench
	$(CC) -O2 -o $@ $< -ldl

clean:
	rm -rf $(BUILD)
