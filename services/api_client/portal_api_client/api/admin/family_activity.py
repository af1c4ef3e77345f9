from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.activity_page import ActivityPage
from ...models.family_activity_type_item import FamilyActivityTypeItem
from ...models.problem import Problem
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    account_id: str,
    *,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
    type_: list[FamilyActivityTypeItem] | Unset = UNSET,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    params["limit"] = limit

    params["cursor"] = cursor

    json_type_: list[str] | Unset = UNSET
    if not isinstance(type_, Unset):
        json_type_ = []
        for type_item_data in type_:
            type_item = type_item_data.value
            json_type_.append(type_item)


    params["type"] = json_type_


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/admin/accounts/{account_id}/activity".format(account_id=quote(str(account_id), safe=""),),
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ActivityPage | Problem:
    if response.status_code == 200:
        response_200 = ActivityPage.from_dict(response.json())



        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())



        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())



        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())



        return response_404

    response_default = Problem.from_dict(response.json())



    return response_default



def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ActivityPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    account_id: str,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
    type_: list[FamilyActivityTypeItem] | Unset = UNSET,

) -> Response[ActivityPage | Problem]:
    """ 
    Args:
        account_id (str):
        limit (int | Unset):  Default: 20.
        cursor (str | Unset):
        type_ (list[FamilyActivityTypeItem] | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ActivityPage | Problem]
     """


    kwargs = _get_kwargs(
        account_id=account_id,
limit=limit,
cursor=cursor,
type_=type_,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    account_id: str,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
    type_: list[FamilyActivityTypeItem] | Unset = UNSET,

) -> ActivityPage | Problem | None:
    """ 
    Args:
        account_id (str):
        limit (int | Unset):  Default: 20.
        cursor (str | Unset):
        type_ (list[FamilyActivityTypeItem] | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ActivityPage | Problem
     """


    return sync_detailed(
        account_id=account_id,
client=client,
limit=limit,
cursor=cursor,
type_=type_,

    ).parsed

async def asyncio_detailed(
    account_id: str,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
    type_: list[FamilyActivityTypeItem] | Unset = UNSET,

) -> Response[ActivityPage | Problem]:
    """ 
    Args:
        account_id (str):
        limit (int | Unset):  Default: 20.
        cursor (str | Unset):
        type_ (list[FamilyActivityTypeItem] | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ActivityPage | Problem]
     """


    kwargs = _get_kwargs(
        account_id=account_id,
limit=limit,
cursor=cursor,
type_=type_,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    account_id: str,
    *,
    client: AuthenticatedClient | Client,
    limit: int | Unset = 20,
    cursor: str | Unset = UNSET,
    type_: list[FamilyActivityTypeItem] | Unset = UNSET,

) -> ActivityPage | Problem | None:
    """ 
    Args:
        account_id (str):
        limit (int | Unset):  Default: 20.
        cursor (str | Unset):
        type_ (list[FamilyActivityTypeItem] | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ActivityPage | Problem
     """


    return (await asyncio_detailed(
        account_id=account_id,
client=client,
limit=limit,
cursor=cursor,
type_=type_,

    )).parsed
