// SPDX-License-Identifier: Apache-2.0
// Kotlin conveniences over the Java API: blocking calls moved to Dispatchers.IO, sync status as
// a Flow, listeners as a Flow that removes itself when collection stops. Not compiled on the
// build machine (no kotlinc); the Java classes it calls are compiled and tested there.
package cn.edu.zhibu.ktx

import cn.edu.zhibu.Database
import cn.edu.zhibu.Sync
import cn.edu.zhibu.SyncStatus
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.withContext

data class RowChange(val table: String, val row: String, val origin: Int)

suspend fun Database.writeAsync(table: String, row: String, json: String) =
    withContext(Dispatchers.IO) { write(table, row, json) }

suspend fun Database.readAsync(table: String, row: String): String? =
    withContext(Dispatchers.IO) { read(table, row) }

suspend fun Sync.syncOnceAsync() = withContext(Dispatchers.IO) { syncOnce() }

/** Row changes; the listener is registered on collection and removed when it stops. */
fun Database.changes(): Flow<RowChange> = callbackFlow {
    val token = addListener { table, row, origin -> trySend(RowChange(table, row, origin)) }
    awaitClose { token.close() }
}

fun Sync.statuses(): Flow<SyncStatus> = callbackFlow {
    val token = addStatusListener { trySend(it) }
    awaitClose { token.close() }
}
