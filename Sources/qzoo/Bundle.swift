import ArgumentParser
import QZooCore
import QZooFormats

struct Bundle: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Check, unpack and index .tar.zst bundles made by 'qzoo run'.",
        discussion: """
            A bundle is a tar archive compressed with zstd: any 'tar --zstd -xf' unpacks it. Inside: \
            manifest.json (names, provenance, the SHA-256 and size of every member, per-tensor \
            bits and errors), pipeline.yaml (the exact pipeline that made it), the exported model \
            files and the model's side files (config.json, tokenizer files). A 44-byte seal at the \
            end records the SHA-256 of all bytes before it. See formats/bundle.md.
            """,
        subcommands: [Verify.self, Extract.self, Index.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every byte of a bundle: the seal, the zstd frame, the tar, each member against the manifest.",
            discussion: "Exit status 0 when all match; 1 with the first problem found otherwise.\n\nExample:\n  qzoo bundle verify zoo/out/minilm/w4-rtn-g128.tar.zst")

        @Argument(help: "The .tar.zst bundle.")
        var file: String

        func run() throws {
            let result = try BundleVerifier.verify(path: file)
            for member in result.members { print("ok  \(member.sha256)  \(member.size)  \(member.path)") }
            Terminal.note("\(file): \(result.members.count) members verified")
        }
    }

    struct Extract: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Unpack a bundle into a new directory, safely and atomically.",
            discussion: """
                Refuses absolute paths, '..', links, devices and other special files, and members \
                larger than --max-member-size, before writing any of their bytes. Everything is \
                written into a temporary directory next to DIR and verified against the manifest; \
                only then does it become DIR. On any problem, nothing is left behind.

                Example:
                  qzoo bundle extract w4-rtn-g128.tar.zst ./w4-model
                """)

        @Argument(help: "The .tar.zst bundle.")
        var file: String

        @Argument(help: "The directory to create.")
        var directory: String

        @Option(help: ArgumentHelp("Largest member accepted, in bytes.", valueName: "bytes"))
        var maxMemberSize: Int = BundleLimits().maxMemberSize

        @Flag(help: "Replace DIR if it exists.")
        var force = false

        func run() throws {
            let limits = BundleLimits(maxMemberSize: maxMemberSize)
            let result = try BundleExtractor.extract(path: file, to: directory, limits: limits, overwrite: force)
            Terminal.note("extracted \(result.members.count) verified members into \(directory)")
        }
    }

    struct Index: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write index.html and index.json describing every bundle under a directory.",
            discussion: """
                Looks for ROOT/MODEL/PIPELINE.tar.zst, verifies each bundle, and writes one row per \
                bundle: size, bits per weight, compression ratio against the original weights, \
                weight error, plus a chart of size against error. 'make zoo' runs it on zoo/out.
                """)

        @Argument(help: "The zoo's output directory.")
        var root: String

        func run() throws {
            let entries = try ZooIndex.collect(root: root)
            try AtomicFile.write(to: root + "/index.json", overwrite: true) { try $0.write(Array(ZooIndex.json(entries).utf8)) }
            try AtomicFile.write(to: root + "/index.html", overwrite: true) { try $0.write(Array(ZooIndexPage.html(entries).utf8)) }
            Terminal.note("indexed \(entries.count) bundle(s): \(root)/index.html, \(root)/index.json")
        }
    }
}
