# kubectl-inject — the targets CI and developers share. `make test` is the whole suite.
CARGO ?= cargo

.PHONY: build release demo fmt lint test unit golden bench bench-cluster dist completion fuzz clean

build:
	$(CARGO) build

release:
	$(CARGO) build --release

# The main job on the embedded default configuration, no cluster needed.
demo: release
	./target/release/kubectl-inject inject --ignore-cluster -f testdata/sample/app.yaml

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --all-targets -- -D warnings
	# The fuzz crate type-checks on stable (its bodies are tested in cargo test).
	$(CARGO) check --quiet --manifest-path fuzz/Cargo.toml --bins

# Everything: unit, CLI, differential (goref), conformance and cluster tests. Installs and
# builds what it needs once (scripts/test-deps.sh), then runs cargo test against a fresh
# test control plane on loopback, then the vendored gotmpl's own suites (upstream's tests with
# the expectations our patches change marked PATCHED). Closes with `N passed, N failed, N skipped`, the skipped
# tests listed above it with their reasons (scripts/test-summary.sh).
test:
	scripts/test-deps.sh
	$(CARGO) test --no-run
	scripts/test-apiserver.sh run -- scripts/test-summary.sh '$(CARGO) test' '$(CARGO) test -p gotmpl'

# Only what needs nothing beyond cargo (oracle, cluster and shared/ tests say skipped, and the
# closing line counts them), and the vendored gotmpl's own suites (vendor/gotmpl/PATCHES.md).
unit:
	scripts/test-summary.sh '$(CARGO) test' '$(CARGO) test -p gotmpl'

bench:
	$(CARGO) bench

# Live check -A on 10,000 pods over 200 namespaces on the test API server.
# PODS=50000 make bench-cluster; BASELINE=rev measures that revision's binary beside.
PODS ?= 10000
bench-cluster:
	scripts/bench-cluster.sh $(PODS)

# Release archives for every target this machine can build, and the krew manifest made from
# them, in dist/ (scripts/dist.sh says which targets and why); then the same checks as the
# test suite, on those archives (tests/cli/dist.rs).
dist:
	scripts/dist.sh
	$(CARGO) test --test cli dist

# The shell completion scripts of `kubectl-inject`, in target/completion/ (kubectl's own
# completion of `kubectl inject` uses kubectl_complete-inject instead: see the README).
completion: build
	mkdir -p target/completion
	for shell in bash zsh fish powershell elvish; do \
		./target/debug/kubectl-inject completion $$shell > target/completion/kubectl-inject.$$shell || exit 2; \
	done

# Every fuzz target for FUZZ_SECONDS each (cargo-fuzz, nightly): executions and findings
# per target. Findings go to fuzz/artifacts/; fixed ones become testdata/fuzz/ regressions.
FUZZ_SECONDS ?= 600
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

clean:
	$(CARGO) clean
