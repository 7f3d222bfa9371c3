# citebot: a Discord bot that answers with cited quotes from a corpus.
#
#   docker build -t citebot .
#   docker run --rm -e DISCORD_TOKEN=... -v citebot-index:/data citebot
#   # your own documents instead of the embedded corpus:
#   docker run --rm --env-file .env -v citebot-index:/data -v "$PWD/docs:/corpus:ro" \
#       -e CITEBOT_CORPUS_DIR=/corpus citebot
#   # ask from the terminal, no token needed:
#   docker run --rm citebot ask "How many Britons travelled to Syria and Iraq?"

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/citebot ./cmd/citebot \
 && mkdir -p /out/data && chown 65532:65532 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/citebot /usr/local/bin/citebot
COPY --from=build --chown=65532:65532 /out/data /data
# The index lives on a volume so restarts reuse it; the embedded corpus needs
# no volume, and a folder mounted at CITEBOT_CORPUS_DIR replaces it.
ENV CITEBOT_INDEX_DIR=/data/index
VOLUME ["/data"]
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/citebot"]
CMD ["serve"]
