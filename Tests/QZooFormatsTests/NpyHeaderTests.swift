import Testing
@testable import QZooCore
@testable import QZooFormats

/// What the header parser accepts beyond numpy's own layout, and the header writer's layout rules.
@Suite struct NpyHeaderTests {
    func header(_ text: String, major: UInt8 = 1) throws -> NpyHeader {
        try HostileNpy.file(text, major: major).withUnsafeBytes { try NpyHeader.parse($0) }
    }

    @Test func parsesNumpysLayout() throws {
        let parsed = try header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }      \n")
        #expect(parsed.majorVersion == 1)
        #expect(parsed.descr == .numeric(.f32, bigEndian: false))
        #expect(parsed.fortranOrder)
        #expect(parsed.shape == [2, 3])
        #expect(parsed.dataOffset == 10 + 65)
        #expect(parsed.dataByteCount == 24)
    }

    @Test func acceptsOtherSpellingsPythonAccepts() throws {
        let variants = [
            "{\"shape\": (2, 3), \"descr\": \"<f4\", \"fortran_order\": False}",
            "\t{ 'descr' : '<f4' ,\n 'fortran_order' : False ,\n 'shape' : ( 2 , 3 , ) }\n",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (+2, 3)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",
        ]
        for text in variants {
            let parsed = try header(text)
            #expect(parsed.shape == [2, 3], "\(text)")
            #expect(parsed.descr == .numeric(.f32, bigEndian: false), "\(text)")
        }
    }

    @Test func longSuffixIsOnlyForPython2EraVersions() throws {
        let text = "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }"
        #expect(try header(text, major: 2).shape == [2])
        #expect(throws: QZooError.self) { try header(text, major: 3) }
    }

    @Test func byteOrderCharacters() throws {
        let cases: [(String, NpyDescr)] = [
            ("<f4", .numeric(.f32, bigEndian: false)), ("=f4", .numeric(.f32, bigEndian: false)),
            ("f4", .numeric(.f32, bigEndian: false)), (">f4", .numeric(.f32, bigEndian: true)),
            ("|i1", .numeric(.i8, bigEndian: false)), ("<u1", .numeric(.u8, bigEndian: false)),
            (">b1", .numeric(.bool, bigEndian: false)), ("|V2", .void(width: 2)), ("<V1", .void(width: 1)),
            ("<f1", .numeric(.f8e5m2, bigEndian: false)),
        ]
        for (text, descr) in cases {
            #expect(try NpyDescr.parse(text) == descr, "\(text)")
        }
    }

    @Test func version3DecodesUTF8AndVersion1Latin1() throws {
        let structured = "{'descr': [('\u{4E2D}', '<f4')], 'fortran_order': False, 'shape': (1,), }"
        let error = #expect(throws: QZooError.self) { try header(structured, major: 3) }
        #expect(error?.code == .unsupported)
        let latin1: [UInt8] = Array("'caf".utf8) + [0xE9, 0x27]
        let literal = try latin1.withUnsafeBytes { try PythonLiteralParser.parse($0, encoding: .latin1, allowsLongSuffix: false) }
        #expect(literal == .string("caf\u{E9}"))
    }

    @Test func tupleSyntaxFollowsPython() throws {
        func parse(_ text: String) throws -> PythonLiteral {
            try Array(text.utf8).withUnsafeBytes { try PythonLiteralParser.parse($0, encoding: .utf8, allowsLongSuffix: false) }
        }
        #expect(try parse("()") == .tuple([]))
        #expect(try parse("(5,)") == .tuple([.int(5)]))
        #expect(try parse("(5)") == .int(5))
        #expect(try parse("((1, 2), [3], None)") == .tuple([.tuple([.int(1), .int(2)]), .list([.int(3)]), .none]))
        #expect(try parse("-12") == .int(-12))
        #expect(throws: QZooError.self) { try parse("(,)") }
        #expect(throws: QZooError.self) { try parse("007") }
        #expect(throws: QZooError.self) { try parse("1_000") }
        #expect(throws: QZooError.self) { try parse("(1 2)") }
    }

    @Test func acceptsHeadersUpToTheCap() throws {
        let padding = String(repeating: " ", count: 70_000)
        let parsed = try header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" + padding + "\n", major: 2)
        #expect(parsed.dataOffset == 12 + 70_058)
        let tooLong = String(repeating: " ", count: NpyHeader.maxHeaderLength)
        let error = #expect(throws: QZooError.self) { try header("{}" + tooLong, major: 2) }
        #expect(error?.code == .limitExceeded)
    }

    @Test(arguments: [[Int](), [0], [5], [2, 3], [12_345_678_901, 0], [Int](repeating: 1, count: 64)])
    func writerHeadersAreAlignedAndParseBack(_ shape: [Int]) throws {
        for dtype in DType.allCases {
            let bytes = NpyHeaderEncoder.header(dtype: dtype, shape: shape)
            #expect(bytes.count % 64 == 0)
            #expect(bytes.last == 0x0A)
            let parsed = try bytes.withUnsafeBytes { try NpyHeader.parse($0) }
            #expect(parsed.shape == shape)
            #expect(parsed.dataOffset == bytes.count)
            #expect(parsed.majorVersion == 1)
            #expect(try parsed.descr.resolve(voidDType: dtype) == dtype)
        }
    }

    @Test func writerSwitchesToVersion2ForHugeHeaders() throws {
        let shape = [Int](repeating: 1, count: 30_000)
        let bytes = NpyHeaderEncoder.header(dtype: .f32, shape: shape)
        #expect(bytes[6] == 2)
        #expect(bytes.count % 64 == 0)
        #expect(try bytes.withUnsafeBytes { try NpyHeader.parse($0) }.shape == shape)
    }
}
