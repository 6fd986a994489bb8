import Foundation
import JobkitSupport
import Testing

/// The hand-written reader the CLI uses for submit's answer agrees with JSONSerialization.
struct JSONMemberTests {
    @Test(arguments: [
        #"{"id":"t42","run":"run-1","tasks":{"a":"t42"}}"#,
        #"{"run":"run-1","tasks":{"a":"t41","b":{"nested":["x","}",{"id":"no"}]}},"id":"t42"}"#,
        #" { "n" : -1.5e3 , "ok" : true , "none" : null , "list" : [1, [2, "]"]], "id" : "t42" } "#,
        #"{"id":"quote \" backslash \\ slash \/ tab \t newline \n"}"#,
        #"{"id":"\u00e9t\u00e9 \ud83d\ude00 é"}"#,
    ])
    func readsTheMemberAsJSONSerializationDoes(_ text: String) throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(JSONMember.string("id", in: Array(text.utf8)) == object["id"] as? String)
    }

    @Test(arguments: [
        #"{"run":"run-1"}"#, #"{"id":42}"#, #"{"id":null}"#, "[]", #"["id","t42"]"#, "", "{", #"{"id":"t4"#,
        #"{"id":"bad \x escape"}"#, #"{"a":1 "id":"t42"}"#, #"{"id":"\ud83d alone"}"#, "{\"id\":\"raw \n newline\"}",
    ])
    func anythingElseIsNil(_ text: String) {
        #expect(JSONMember.string("id", in: Array(text.utf8)) == nil)
    }

    /// The API's error answer, as the CLI reads its message.
    @Test(arguments: [
        #"{"error":{"code":"unknown_job","message":"no job named \"x\""}}"#,
        #"{"error":{"details":{"message":"inner"},"message":"outer"},"message":"top"}"#,
        #" { "error" : { "message" : "spaced" } } "#,
    ])
    func readsANestedMemberAsJSONSerializationDoes(_ text: String) throws {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let error = try #require(object["error"] as? [String: Any])
        #expect(JSONMember.string(at: ["error", "message"], in: Array(text.utf8)) == error["message"] as? String)
    }

    @Test(arguments: [
        #"{"error":"flat"}"#, #"{"error":{"code":"x"}}"#, #"{"message":"top only"}"#, #"{"error":{"message":1}}"#,
        #"{"error":[{"message":"in a list"}]}"#,
    ])
    func aMissingNestedMemberIsNil(_ text: String) {
        #expect(JSONMember.string(at: ["error", "message"], in: Array(text.utf8)) == nil)
        #expect(JSONMember.string(at: [], in: Array(text.utf8)) == nil)
    }
}
