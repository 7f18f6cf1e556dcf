// SPDX-License-Identifier: Apache-2.0
// Gradle settings for the Zhibu Android library (AAR). Needs the Android SDK + NDK and a Gradle
// with the Android Gradle Plugin; none of them is on the Linux build machine, so this has not
// been run (see ../README.md).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "zhibu-android"
