.PHONY: run test
# Install everything and serve the portal with demo data at http://127.0.0.1:8000
# (another port: make run PORT=8123)
run:
	bin/run
# Install everything and run the whole test suite (PostgreSQL and Redis on 127.0.0.1)
test:
	bin/test
