//! Unit tests of the login's option handling.

use crate::login::with_openid;

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|scope| (*scope).to_owned()).collect()
}

#[test]
fn openid_is_added_in_front_when_scopes_are_given_without_it() {
    assert_eq!(with_openid(&[]), Vec::<String>::new(), "no flag: the settings' scopes apply");
    assert_eq!(with_openid(&scopes(&["groups"])), scopes(&["openid", "groups"]));
    assert_eq!(with_openid(&scopes(&["profile", "openid"])), scopes(&["profile", "openid"]));
}
