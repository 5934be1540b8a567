// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "netlab",
    products: [
        .executable(name: "netlab", targets: ["netlab"]),
        .library(name: "Inspect", targets: ["Inspect"]),
        .library(name: "Capture", targets: ["Capture"]),
        .library(name: "Sockets", targets: ["Sockets"]),
        .library(name: "Labs", targets: ["Labs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Errno as a typed value (Sockets' errors).
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        // SHA-256 for file transfers (BoringSSL's assembly: about 3x faster than a hand-written one).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // Signals in one place: SIGPIPE ignored, SIGINT/SIGTERM as stop requests (Atomics only).
        .target(name: "ProcessControl"),
        .target(name: "Capture", dependencies: ["CPcap", "ProcessControl"]),
        // Inspect is pure protocol knowledge: it depends on nothing but the standard library.
        .target(name: "Inspect"),
        // epoll and accept4, which Swift's Glibc module leaves out.
        .target(name: "CSockets"),
        .target(
            name: "Sockets",
            dependencies: [
                "Inspect", "CSockets", "ProcessControl",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The guided demos and exercises: they run sockets and captures together and narrate.
        .target(name: "Labs", dependencies: ["Inspect", "Capture", "Sockets", "ProcessControl"]),
        .executableTarget(
            name: "netlab",
            dependencies: [
                "Inspect", "Capture", "Sockets", "Labs", "ProcessControl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // What several test targets share (the seeded generator).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "InspectTests", dependencies: ["Inspect", "TestSupport"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "Inspect", "TestSupport"]),
        .testTarget(name: "SocketsTests", dependencies: ["Sockets", "Inspect", "ProcessControl", "TestSupport"]),
        // Depends on the executable so `swift test` builds it: these tests run the real binary.
        .testTarget(
            name: "netlabTests",
            dependencies: ["netlab", "Inspect", "Capture", "Sockets", "Labs", "ProcessControl", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
