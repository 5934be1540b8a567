// swift-tools-version: 6.0
// Coverage-guided fuzz targets for netlab (libFuzzer). Kept out of the main package so an
// ordinary `swift build` never needs the fuzzer runtime; scripts/fuzz.sh builds and runs it.
import PackageDescription

let package = Package(
    name: "netlab-fuzz",
    dependencies: [.package(name: "netlab", path: "..")],
    targets: [
        // One executable for every target (NETLAB_FUZZ_TARGET picks one): one link instead of
        // five, which matters for build time on two cores.
        .executableTarget(
            name: "netlab-fuzz",
            dependencies: [
                .product(name: "Inspect", package: "netlab"),
                .product(name: "Sockets", package: "netlab"),
                .product(name: "Labs", package: "netlab"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
