/* Catalog facts and lookups against the committed R25 catalog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/catalog.h"

static const ocip_catalog *cat(void) { return ocip_catalog_get(); }

static uint32_t find(const char *name)
{
    uint32_t t = ocip_cat_find(cat(), name);
    if (t == OCIP_NONE) fail_msg("type %s not in catalog", name);
    return t;
}

static const ocip_type *type(const char *name) { return &cat()->types[find(name)]; }

static const ocip_particle *part(uint32_t i)
{
    assert_true(i < cat()->particle_count);
    return &cat()->particles[i];
}

static const char *str(uint32_t off) { return ocip_cat_str(cat(), off); }

/* The i-th direct child particle of a type's flattened content. */
static const ocip_particle *content_child(const ocip_type *t, uint32_t i)
{
    const ocip_particle *seq = part(t->content);
    assert_int_equal(seq->kind, OCIP_PART_SEQUENCE);
    assert_true(i < seq->count);
    return part(cat()->children[seq->first + i]);
}

static void test_counts(void **state)
{
    (void)state;
    const ocip_catalog *c = cat();
    assert_true(c->type_count > 7000 && c->type_count < 11000);
    assert_true(c->request_count > 3800 && c->request_count < 4200);
    assert_string_equal(c->release, "R25");
    assert_int_equal(strlen(c->manifest_sha256), 64);
    uint32_t responses = 0, simple = 0;
    for (uint32_t i = 0; i < c->type_count; i++) {
        if (c->types[i].kind == OCIP_TYPE_SIMPLE) simple++;
        else if (c->types[i].role == OCIP_ROLE_RESPONSE) responses++;
        /* sorted by name, strictly (no duplicates) */
        if (i > 0) assert_true(strcmp(str(c->types[i - 1].name), str(c->types[i].name)) < 0);
    }
    assert_true(responses > 2000 && responses < 2400);
    assert_true(simple > 1100 && simple < 1400);
    for (uint32_t i = 0; i < c->request_count; i++) {
        const ocip_type *t = &c->types[c->requests[i]];
        assert_int_equal(t->role, OCIP_ROLE_REQUEST);
        assert_int_equal(c->types[t->response].role, OCIP_ROLE_RESPONSE);
        if (i > 0) assert_true(c->requests[i - 1] < c->requests[i]);
    }
}

static void test_find(void **state)
{
    (void)state;
    assert_int_equal(ocip_cat_find(cat(), "NoSuchTypeAnywhere"), OCIP_NONE);
    assert_int_equal(ocip_cat_find(cat(), ""), OCIP_NONE);
    assert_int_equal(ocip_cat_find(cat(), NULL), OCIP_NONE);
    uint32_t t = find("UserAddRequest22V2");
    assert_string_equal(str(cat()->types[t].name), "UserAddRequest22V2");
    /* a length-bounded key must not match a longer or shorter name */
    assert_int_equal(ocip_cat_find_n(cat(), "UserAddRequest22V2xyz", 18), t);
    assert_int_equal(ocip_cat_find_n(cat(), "UserAddRequest22V", 17), ocip_cat_find(cat(), "UserAddRequest22V"));
    const ocip_type *i = type("xs:int");
    assert_int_equal(i->kind, OCIP_TYPE_SIMPLE);
    assert_int_equal(i->prim, OCIP_PRIM_INT);
    assert_int_equal(type("xs:base64Binary")->prim, OCIP_PRIM_BASE64);
    assert_null(ocip_cat_str(cat(), OCIP_NONE));
}

static void test_user_add(void **state)
{
    (void)state;
    const ocip_type *t = type("UserAddRequest22V2");
    assert_int_equal(t->kind, OCIP_TYPE_COMPLEX);
    assert_int_equal(t->role, OCIP_ROLE_REQUEST);
    assert_false(t->flags & OCIP_TF_ABSTRACT);
    assert_int_equal(t->base, find("OCIRequest"));
    assert_int_equal(t->response, find("SuccessResponse"));

    const char *order[] = {"serviceProviderId", "groupId", "userId", "lastName", "firstName"};
    for (uint32_t i = 0; i < 5; i++) {
        const ocip_particle *p = content_child(t, i);
        assert_int_equal(p->kind, OCIP_PART_ELEMENT);
        assert_string_equal(str(p->name), order[i]);
        assert_int_equal(p->min_occurs, 1);
        assert_int_equal(p->max_occurs, 1);
    }
    assert_int_equal(content_child(t, 2)->type, find("UserId"));
    assert_string_equal(str(content_child(t, 2)->snake), "user_id");

    /* alias: 0..3, a list */
    uint32_t a = ocip_cat_child(cat(), find("UserAddRequest22V2"), "alias", 5);
    assert_int_not_equal(a, OCIP_NONE);
    assert_int_equal(part(a)->min_occurs, 0);
    assert_int_equal(part(a)->max_occurs, 3);
    assert_true(part(a)->flags & OCIP_PF_LIST);
    assert_int_equal(part(a)->type, find("SIPURI"));

    /* the endpoint choice comes right after alias */
    const ocip_particle *seq = part(t->content);
    uint32_t choice = OCIP_NONE;
    for (uint32_t i = 0; i < seq->count; i++) {
        const ocip_particle *p = part(cat()->children[seq->first + i]);
        if (p->kind == OCIP_PART_ELEMENT && strcmp(str(p->name), "alias") == 0) {
            choice = cat()->children[seq->first + i + 1];
            break;
        }
    }
    assert_int_not_equal(choice, OCIP_NONE);
    const ocip_particle *ch = part(choice);
    assert_int_equal(ch->kind, OCIP_PART_CHOICE);
    assert_int_equal(ch->count, 2);
    assert_string_equal(str(part(cat()->children[ch->first])->name), "accessDeviceEndpoint");
    assert_string_equal(str(part(cat()->children[ch->first + 1])->name), "trunkAddressing");

    /* a choice branch is found through the nested group */
    uint32_t tr = ocip_cat_child(cat(), find("UserAddRequest22V2"), "trunkAddressing", 15);
    assert_int_equal(tr, cat()->children[ch->first + 1]);
    assert_false(part(tr)->flags & OCIP_PF_LIST);
    uint32_t cl = ocip_cat_child(cat(), find("UserAddRequest22V2"), "callingLineIdPhoneNumber", 24);
    assert_string_equal(str(part(cl)->snake), "calling_line_id_phone_number");
    uint32_t last = cat()->children[seq->first + seq->count - 1];
    assert_string_equal(str(part(last)->name), "isPlace");
    assert_int_equal(part(last)->type, find("xs:boolean"));
}

static void test_response_pairing(void **state)
{
    (void)state;
    const ocip_type *t = type("UserGetRequest23V2");
    assert_int_equal(t->role, OCIP_ROLE_REQUEST);
    assert_int_equal(t->response, find("UserGetResponse23V2"));
    const ocip_type *r = type("UserGetResponse23V2");
    assert_int_equal(r->role, OCIP_ROLE_RESPONSE);
    assert_true(ocip_cat_derives(cat(), find("UserGetResponse23V2"), find("OCIDataResponse")));
    assert_int_equal(r->response, OCIP_NONE);
}

static void test_abstract_subs(void **state)
{
    (void)state;
    const ocip_type *t = type("DepartmentKey");
    assert_true(t->flags & OCIP_TF_ABSTRACT);
    assert_int_equal(t->role, OCIP_ROLE_DATA);
    assert_int_equal(t->subs_count, 2);
    assert_string_equal(str(cat()->types[cat()->subs[t->subs_first]].name), "EnterpriseDepartmentKey");
    assert_string_equal(str(cat()->types[cat()->subs[t->subs_first + 1]].name), "GroupDepartmentKey");
    assert_int_equal(type("GroupDepartmentKey")->subs_count, 0);
    /* protocol bases */
    assert_int_equal(type("OCIRequest")->role, OCIP_ROLE_BASE);
    assert_int_equal(type("OCICommand")->role, OCIP_ROLE_BASE);
    assert_int_equal(type("OCIRequest")->subs_count, cat()->request_count + 2); /* + overlay data types */
}

static void test_overlay(void **state)
{
    (void)state;
    const ocip_type *t = type("CallCenterAgentAvailability");
    assert_int_equal(t->role, OCIP_ROLE_DATA);
    assert_int_equal(t->response, OCIP_NONE);
    assert_int_equal(type("CallCenterAgentSettings")->role, OCIP_ROLE_DATA);
    for (uint32_t i = 0; i < cat()->request_count; i++) {
        const char *n = str(cat()->types[cat()->requests[i]].name);
        assert_string_not_equal(n, "CallCenterAgentAvailability");
        assert_string_not_equal(n, "CallCenterAgentSettings");
    }
}

static void test_table(void **state)
{
    (void)state;
    uint32_t resp = find("UserGetListInGroupResponse");
    uint32_t p = ocip_cat_child(cat(), resp, "userTable", 9);
    assert_int_not_equal(p, OCIP_NONE);
    assert_int_equal(part(p)->type, find("OCITable"));
    assert_int_equal(cat()->types[part(p)->type].role, OCIP_ROLE_TABLE);
    uint32_t col = ocip_cat_child(cat(), find("OCITable"), "colHeading", 10);
    assert_true(part(col)->flags & OCIP_PF_LIST);
    assert_int_equal(part(col)->max_occurs, OCIP_UNBOUNDED);
}

/* Column hints: exact (type, element) lookup, sorted table, valid slices. */
static void test_columns(void **state)
{
    (void)state;
    const ocip_catalog *c = cat();
    uint32_t first = 7, count = 7;
    uint32_t resp = find("UserGetListInGroupResponse");
    assert_int_equal(ocip_cat_columns(c, resp, "userTable", 9, &first, &count), 1);
    assert_int_equal(count, 13);
    assert_string_equal(str(c->columns[first]), "User Id");
    assert_string_equal(str(c->columns[first + 1]), "Last Name");
    assert_string_equal(str(c->columns[first + count - 1]), "National Prefix");

    /* the same particle is shared with other types: the hint belongs to the type */
    uint32_t sys = find("UserGetListInSystemResponse");
    assert_int_equal(ocip_cat_child(c, resp, "userTable", 9), ocip_cat_child(c, sys, "userTable", 9));
    assert_int_equal(ocip_cat_columns(c, sys, "userTable", 9, &first, &count), 1);
    assert_int_equal(count, 15);
    assert_string_equal(str(c->columns[first + 2]), "Service Provider Id");

    /* misses leave the outputs alone */
    first = count = 42;
    assert_int_equal(ocip_cat_columns(c, resp, "userTablex", 10, &first, &count), 0);
    assert_int_equal(ocip_cat_columns(c, resp, "userTable", 8, &first, &count), 0);
    assert_int_equal(ocip_cat_columns(c, resp, "groupTable", 10, &first, &count), 0);
    assert_int_equal(ocip_cat_columns(c, find("UserGetRequest22"), "userTable", 9, &first, &count), 0);
    assert_int_equal(ocip_cat_columns(c, OCIP_NONE, "userTable", 9, &first, &count), 0);
    assert_int_equal(ocip_cat_columns(c, resp, NULL, 0, &first, &count), 0);
    assert_int_equal(first, 42);
    assert_int_equal(count, 42);

    /* every hint names a table element of its type, in (type, name) order */
    assert_true(c->hint_count > 0);
    for (uint32_t i = 0; i < c->hint_count; i++) {
        const ocip_column_hint *h = &c->hints[i];
        const char *e = str(h->elem);
        assert_non_null(e);
        uint32_t p = ocip_cat_child(c, h->type, e, strlen(e));
        assert_int_not_equal(p, OCIP_NONE);
        assert_int_equal(c->types[part(p)->type].role, OCIP_ROLE_TABLE);
        assert_true(h->count > 0);
        for (uint32_t k = 0; k < h->count; k++) assert_non_null(str(c->columns[h->first + k]));
        if (i > 0) {
            const ocip_column_hint *g = &c->hints[i - 1];
            assert_true(g->type < h->type || (g->type == h->type && strcmp(str(g->elem), e) < 0));
        }
        assert_int_equal(ocip_cat_columns(c, h->type, e, strlen(e), &first, &count), 1);
        assert_int_equal(first, h->first);
    }
}

static void test_simple_facets(void **state)
{
    (void)state;
    const ocip_type *u = type("UserId");
    assert_int_equal(u->prim, OCIP_PRIM_TOKEN);
    assert_true(u->flags & OCIP_TF_MIN_LENGTH);
    assert_true(u->flags & OCIP_TF_MAX_LENGTH);
    assert_int_equal(u->min_length, 1);
    assert_int_equal(u->max_length, 161);
    assert_false(u->flags & OCIP_TF_LENGTH);

    const ocip_type *e = type("AccessDeviceLevel");
    assert_int_equal(e->enum_count, 3);
    assert_string_equal(str(cat()->enums[e->enum_first]), "System");
    assert_string_equal(str(cat()->enums[e->enum_first + 1]), "Service Provider");
    assert_string_equal(str(cat()->enums[e->enum_first + 2]), "Group");

    const ocip_type *cc = type("ISO3166CountryCode");
    assert_int_equal(cc->prim, OCIP_PRIM_NMTOKEN);
    assert_true(cc->flags & OCIP_TF_LENGTH);
    assert_int_equal(cc->length, 3);
    assert_int_equal(cc->pattern_count, 1);
    assert_string_equal(str(cat()->patterns[cc->pattern_first]), "[A-Z][A-Z][A-Z]");

    /* inclusive bounds are kept as literals */
    uint32_t n = OCIP_NONE;
    for (uint32_t i = 0; i < cat()->type_count && n == OCIP_NONE; i++)
        if (cat()->types[i].flags & OCIP_TF_MAX_INCL) n = i;
    assert_int_not_equal(n, OCIP_NONE);
    assert_non_null(str(cat()->types[n].max_incl));
}

static void test_child_and_derives(void **state)
{
    (void)state;
    uint32_t t = find("UserAddRequest22V2");
    assert_int_equal(ocip_cat_child(cat(), t, "nope", 4), OCIP_NONE);
    assert_int_equal(ocip_cat_child(cat(), t, "userIdX", 6), ocip_cat_child(cat(), t, "userId", 6));
    assert_int_equal(ocip_cat_child(cat(), t, "user", 4), OCIP_NONE);
    assert_int_equal(ocip_cat_child(cat(), find("UserId"), "x", 1), OCIP_NONE);
    assert_int_equal(ocip_cat_child(cat(), OCIP_NONE, "userId", 6), OCIP_NONE);
    /* empty content */
    assert_int_equal(type("SuccessResponse")->content, OCIP_NONE);
    /* inherited content comes first: ErrorResponse's own fields */
    uint32_t er = find("ErrorResponse");
    assert_int_not_equal(ocip_cat_child(cat(), er, "summaryEnglish", 14), OCIP_NONE);

    assert_true(ocip_cat_derives(cat(), t, t));
    assert_true(ocip_cat_derives(cat(), t, find("OCIRequest")));
    assert_true(ocip_cat_derives(cat(), t, find("OCICommand")));
    assert_false(ocip_cat_derives(cat(), t, find("OCIResponse")));
    assert_true(ocip_cat_derives(cat(), find("GroupDepartmentKey"), find("DepartmentKey")));
    assert_true(ocip_cat_derives(cat(), find("UserId"), find("xs:token")));
    assert_false(ocip_cat_derives(cat(), OCIP_NONE, t));
}

/* Requests of the release's deprecated schema files carry OCIP_TF_DEPRECATED; nothing else does. */
static void test_deprecated(void **state)
{
    (void)state;
    const ocip_catalog *c = cat();
    assert_true(type("UserGetRequest22V5")->flags & OCIP_TF_DEPRECATED);         /* OCISchemaDeprecatedAS.xsd */
    assert_true(type("UserGetRequest14sp4")->flags & OCIP_TF_DEPRECATED);        /* OCISchemaDeprecated.xsd */
    assert_true(type("UserBroadWorksMobilityGetRequest")->flags & OCIP_TF_DEPRECATED); /* ...SpecialExceptions */
    assert_false(type("UserGetRequest23V2")->flags & OCIP_TF_DEPRECATED);
    assert_false(type("UserAddRequest22V2")->flags & OCIP_TF_DEPRECATED);
    assert_false(type("UserGetResponse22V5")->flags & OCIP_TF_DEPRECATED);        /* responses: no flag */
    uint32_t deprecated = 0;
    for (uint32_t i = 0; i < c->type_count; i++) {
        if (!(c->types[i].flags & OCIP_TF_DEPRECATED)) continue;
        assert_int_equal(c->types[i].kind, OCIP_TYPE_COMPLEX);
        assert_int_equal(c->types[i].role, OCIP_ROLE_REQUEST);
        deprecated++;
    }
    assert_true(deprecated > 1000 && deprecated < c->request_count / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_user_add),
        cmocka_unit_test(test_response_pairing),
        cmocka_unit_test(test_abstract_subs),
        cmocka_unit_test(test_overlay),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_simple_facets),
        cmocka_unit_test(test_child_and_derives),
        cmocka_unit_test(test_deprecated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
