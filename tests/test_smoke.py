import pytest

from tests.factories import PASSWORD, make_person


@pytest.mark.django_db
def test_pages_render_for_district_staff(client, tree, users):
    person = make_person(tree.cy_grass, id_number="110101199003070038", phone="13800138000")
    assert client.login(username="cy_staff", password=PASSWORD)
    for url in [
        "/",
        "/orgs/",
        f"/orgs/{tree.chaoyang.pk}/",
        f"/orgs/{tree.chaoyang.pk}/new/",
        f"/orgs/{tree.cy_street.pk}/edit/",
        f"/orgs/{tree.cy_street.pk}/move/",
        "/orgs/import/",
        "/people/",
        "/people/new/",
        f"/people/{person.pk}/",
        f"/people/{person.pk}/edit/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "110101199003070038" not in response.content.decode(), url
