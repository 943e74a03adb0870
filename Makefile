# Baton's two commands. Both install whatever is missing first; see scripts/.
.PHONY: run test

## Build the release app and serve the demo on http://127.0.0.1:3000
run:
	@scripts/run.sh

## Format check, clippy (ssr + hydrate), unit + integration tests, Playwright end-to-end
test:
	@scripts/test.sh
