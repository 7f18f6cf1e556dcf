// SPDX-License-Identifier: Apache-2.0
// The Zhibu AAR: the Java API (../java), the Kotlin extensions (src/main/kotlin) and, per ABI,
// libzhibu.so + libzhibu_jni.so built by the NDK from the repository's CMake tree. The native
// dependencies (SQLite, libsodium, OpenSSL, Boost headers) must be provided per ABI through
// ZB_ANDROID_DEPS (a prefix per ABI); Debian packages cannot be used for Android.
plugins {
    id("com.android.library") version "8.2.2"
    id("org.jetbrains.kotlin.android") version "1.9.22"
}

android {
    namespace = "cn.edu.zhibu"
    compileSdk = 34
    ndkVersion = "26.1.10909125"

    defaultConfig {
        minSdk = 26
        ndk { abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64") }
        externalNativeBuild {
            cmake {
                arguments += listOf(
                    "-DZB_BUILD_TESTS=OFF",
                    "-DZB_BUILD_BENCH=OFF",
                    "-DCMAKE_PREFIX_PATH=" + (System.getenv("ZB_ANDROID_DEPS") ?: "") +
                        "/\${ANDROID_ABI}",
                )
                targets += listOf("zhibu", "zhibu_jni")
            }
        }
        consumerProguardFiles("consumer-rules.pro")
    }

    externalNativeBuild {
        cmake {
            path = file("../../CMakeLists.txt")
            version = "3.22.1"
        }
    }

    sourceSets["main"].java.srcDirs("../java/src/main/java", "src/main/kotlin")

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_11
        targetCompatibility = JavaVersion.VERSION_11
    }
    kotlinOptions { jvmTarget = "11" }
}

dependencies {
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.7.3")
}
