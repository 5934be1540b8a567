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
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .target(name: "Capture", dependencies: ["CPcap"]),
        // Inspect is pure protocol knowledge: it depends on nothing but the standard library.
        .target(name: "Inspect"),
        // epoll and accept4, which Swift's Glibc module leaves out.
        .target(name: "CSockets"),
        .target(name: "Sockets", dependencies: ["Inspect", "CSockets"]),
        // The guided demos and exercises: they run sockets and captures together and narrate.
        .target(name: "Labs", dependencies: ["Inspect", "Capture", "Sockets"]),
        .executableTarget(
            name: "netlab",
            dependencies: [
                "Inspect", "Capture", "Sockets", "Labs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "InspectTests", dependencies: ["Inspect"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "Inspect"]),
        .testTarget(name: "SocketsTests", dependencies: ["Sockets", "Inspect"]),
        // Depends on the executable so `swift test` builds it: these tests run the real binary.
        .testTarget(name: "netlabTests", dependencies: ["netlab", "Inspect", "Capture", "Sockets", "Labs"]),
    ],
    swiftLanguageModes: [.v6]
)
