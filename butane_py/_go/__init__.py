"""Go behaviour reproduced in Python, one module per Go package.

Each module opens with the Go package and version it follows and the Go files each part
follows, and marks each part with a comment naming its Go file and function
(``# scannerc.go: yaml_parser_scan_plain_scalar``), so that a reader can open the two side
by side. Nothing here imports from ``ignition``, ``butane``, the images or embed layers, or
the CLI (tests/test_layers.py checks it).

Versions are those the reference Butane v0.29.0 vendors (its ``vendor/modules.txt``), and
Go 1.27 for the standard library:

- :mod:`.yaml`: gopkg.in/yaml.v3 v3.0.1, decoding; :mod:`.yaml_encode`: its encoder;
- :mod:`.json`, :mod:`.json_errors`: encoding/json; positions as coreos/go-json and
  coreos/vcontext record them;
- :mod:`.flate`: compress/flate and compress/gzip;
- :mod:`.url`: net/url (and net/netip); :mod:`.dataurl`: vincent-petithory/dataurl v1.0.0;
- :mod:`.path`: path; :mod:`.strconv`: strconv.Quote; :mod:`.strings`: unicode.IsSpace and
  Go's byte strings; :mod:`.utf8`: unicode/utf8 and IsPrint;
- :mod:`.semver`: coreos/go-semver v0.3.1; :mod:`.systemd`: coreos/go-systemd/v22 v22.7.0
  unit; :mod:`.arn`: aws/aws-sdk-go-v2 v1.41.1 aws/arn;
- :mod:`.types`: how Go types are described to the decoders (reflect).
"""
