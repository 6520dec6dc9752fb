//! Unit tests of naming.

use super::names::*;

#[test]
fn snake_case_handles_acronyms_and_digits() {
    assert_eq!(snake_case("MD5OfBody"), "md5_of_body");
    assert_eq!(
        snake_case("MD5OfMessageAttributes"),
        "md5_of_message_attributes"
    );
    assert_eq!(snake_case("AWSAccountIds"), "aws_account_ids");
    assert_eq!(
        snake_case("QueueOwnerAWSAccountId"),
        "queue_owner_aws_account_id"
    );
    assert_eq!(snake_case("queueUrls"), "queue_urls");
    assert_eq!(snake_case("tags"), "tags");
    assert_eq!(snake_case("SenderFault"), "sender_fault");
}

#[test]
fn pascal_case_of_enum_member_styles() {
    assert_eq!(pascal_case("DARK_BLUE"), "DarkBlue");
    assert_eq!(pascal_case("RED"), "Red");
    assert_eq!(pascal_case("AWSTraceHeader"), "AWSTraceHeader");
    assert_eq!(pascal_case("in-progress"), "InProgress");
    assert_eq!(pascal_case("2xx"), "V2xx");
}

#[test]
fn keywords_are_escaped() {
    assert_eq!(rust_field_name("type"), "r#type");
    assert_eq!(rust_field_name("self"), "self_");
    assert_eq!(rust_field_name("queue_url"), "queue_url");
}
