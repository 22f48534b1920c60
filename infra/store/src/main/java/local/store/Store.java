package local.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.h2.mvstore.MVStore;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

/**
 * The local and test store: mongo-java-server on 127.0.0.1.
 *
 *   java -cp ... local.store.Store --port 27017 [--file DIR/store.mv]
 *
 * Without --file the data lives in memory (tests); with it, in an H2 MVStore file that is committed after
 * every write command, so a SIGKILL keeps every acknowledged write. Three things the library does not do
 * the way PyMongo and MongoDB 8 expect are corrected here, and nowhere else:
 *  - it reports wire version 8; PyMongo 4.20 needs at least 9, so it reports 13 (MongoDB 5.0);
 *  - its insert reply counts rejected duplicates as inserted; here n is what was really inserted;
 *  - its H2 backend commits about once a second; here every write is committed before the reply;
 *  - it answers a find (and a getMore) without a batch size with every document at once, which PyMongo refuses
 *    above 48 MB: here such a cursor goes in batches of BATCH documents, as MongoDB's does in batches of its own;
 *  - H2 frees the pages of old versions 45 s after a newer commit, under a long read still on them ("Chunk not
 *    found"): here they are kept for RETENTION_MS.
 */
public final class Store {

    static final MongoVersion VERSION = new MongoVersion() {
        @Override public List<Integer> getVersionArray() { return List.of(5, 0, 0); }
        @Override public int getWireVersion() { return 13; }
    };

    static final int BATCH = 2000;  // about 20 MB of the largest documents here (issues with long histories)
    static final int RETENTION_MS = 600_000;

    private static final Set<String> WRITES = Set.of(
        "insert", "update", "delete", "findandmodify", "create", "createindexes", "drop", "dropindexes",
        "dropdatabase", "renamecollection");

    static Document inBatches(String command, Document query) {
        if ((command.equalsIgnoreCase("find") || command.equalsIgnoreCase("getMore")) && !query.containsKey("batchSize")) {
            query.put("batchSize", BATCH);
        }
        return query;
    }

    static Document correctInsertCount(String command, Document query, Document reply) {
        if (!command.equalsIgnoreCase("insert") || !(reply.get("writeErrors") instanceof List<?> errors)
                || errors.isEmpty()) {
            return reply;
        }
        int sent = ((List<?>) query.get("documents")).size();
        boolean ordered = !Boolean.FALSE.equals(query.get("ordered"));
        int inserted = ordered ? (Integer) ((Document) errors.get(0)).get("index") : sent - errors.size();
        reply.put("n", inserted);
        return reply;
    }

    static final class Memory extends MemoryBackend {
        @Override
        public Document handleCommand(Channel channel, String db, String command, Document query) {
            return correctInsertCount(command, query, super.handleCommand(channel, db, command, inBatches(command, query)));
        }
    }

    static final class File extends H2Backend {
        File(String path) { super(open(path)); }

        private static MVStore open(String path) {
            MVStore store = new MVStore.Builder().fileName(path).open();
            store.setRetentionTime(RETENTION_MS);
            return store;
        }

        @Override
        public Document handleCommand(Channel channel, String db, String command, Document query) {
            Document reply = correctInsertCount(command, query, super.handleCommand(channel, db, command, inBatches(command, query)));
            if (WRITES.contains(command.toLowerCase(Locale.ROOT))) {
                commit();
            }
            return reply;
        }
    }

    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 27017;
        String file = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--host" -> host = args[++i];
                case "--file" -> file = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                    + "; usage: Store --port N [--host H] [--file PATH]");
            }
        }
        MongoBackend backend;
        if (file == null) {
            backend = new Memory();
        } else {
            Path parent = Path.of(file).toAbsolutePath().getParent();
            Files.createDirectories(parent);
            backend = new File(file);
        }
        backend.version(VERSION);
        MongoServer server = new MongoServer(backend);
        server.bind(host, port);
        // A clean stop (SIGTERM) closes the file, so the next start need not recover it.
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "store-shutdown"));
        System.out.printf("store ready on %s:%d (%s)%n", host, port, file == null ? "memory" : file);
        System.out.flush();
        Thread.currentThread().join();
    }
}
