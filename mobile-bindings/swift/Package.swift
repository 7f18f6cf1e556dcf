// swift-tools-version:5.7
// SPDX-License-Identifier: Apache-2.0
// Swift package over the Zhibu C ABI. `Zhibu` is the Clang module of client-core/include/zb
// (module.modulemap), shipped with libzhibu inside Zhibu.xcframework, which
// build-xcframework.sh makes on macOS. Not buildable on the Linux build machine (no Swift
// toolchain, no Xcode); see ../README.md.
import PackageDescription

let package = Package(
    name: "Zhibu",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "ZhibuSwift", targets: ["ZhibuSwift"]),
    ],
    targets: [
        .binaryTarget(name: "Zhibu", path: "Zhibu.xcframework"),
        .target(name: "ZhibuSwift", dependencies: ["Zhibu"], path: "Sources/ZhibuSwift"),
    ]
)
