import Foundation
import Testing
import QZooCore
@testable import QZooQuant

struct GPTQParametersTests {
    @Test func decodesPipelineNamesWithReferenceDefaults() throws {
        let full = #"{"bits": 3, "group_size": 64, "sym": true, "act_order": true, "static_groups": true, "damp": 0.05, "block_size": 64, "sequential": false, "precision": "f64"}"#
        let decoded = try JSONDecoder().decode(GPTQParameters.self, from: Data(full.utf8))
        #expect(decoded == GPTQParameters(bits: 3, groupSize: 64, symmetric: true, actOrder: true, staticGroups: true,
                                          damp: 0.05, blockSize: 64, sequential: false, precision: .float64))
        let minimal = try JSONDecoder().decode(GPTQParameters.self, from: Data(#"{"bits": 4}"#.utf8))
        #expect(minimal == GPTQParameters(bits: 4, groupSize: nil, symmetric: false, actOrder: false, staticGroups: false,
                                          damp: 0.01, blockSize: 128, sequential: true, precision: .float32))
        let roundTrip = try JSONDecoder().decode(GPTQParameters.self, from: try JSONEncoder().encode(decoded))
        #expect(roundTrip == decoded)
    }

    @Test(arguments: [GPTQParameters(bits: 9), GPTQParameters(bits: 4, groupSize: 0), GPTQParameters(bits: 4, damp: -1),
                      GPTQParameters(bits: 4, damp: .nan), GPTQParameters(bits: 4, blockSize: 0)])
    func rejectsInvalidSettings(_ parameters: GPTQParameters) {
        #expect(throws: QZooError.self) { try GPTQQuantizer(parameters: parameters) }
    }
}
