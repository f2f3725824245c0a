#pragma once

// One reader per top-level section of a schema-1 profile. Each reads its section from the root
// object into the profile, reporting problems through the Reader with JSON paths. New sections
// (ssh hosts, TLS, AWS, ...) get a reader here, called from ProfileStore::parse.

#include "ProfileReader.h"

namespace hopscope::profileread {

void readPoll(Reader &r, const QJsonObject &root, ClusterProfile &p);
void readServices(Reader &r, const QJsonObject &root, ClusterProfile &p);
void readDns(Reader &r, const QJsonObject &root, ClusterProfile &p);
void readLoadBalancers(Reader &r, const QJsonObject &root, ClusterProfile &p);
void readProxies(Reader &r, const QJsonObject &root, ClusterProfile &p);
void readEdges(Reader &r, const QJsonObject &root, ClusterProfile &p);
void readDnsUpdate(Reader &r, const QJsonObject &root, ClusterProfile &p);
// The "tls" object of `o` (at `parent`), or none. `url`: the object's URL, which must then be
// https://; null for the top-level default.
std::optional<TlsSpec> readTls(
    Reader &r, const QJsonObject &o, const QString &parent, const QUrl *url);
void readPrometheus(Reader &r, const QJsonObject &root, ClusterProfile &p);
// ProfileSectionsSsh.cpp: sshHosts[] (read before the sections that name them with "via"), and
// the "via" of one object: the id, with a problem at PATH.via when no sshHosts entry has it.
void readSshHosts(Reader &r, const QJsonObject &root, ClusterProfile &p);
QString readVia(Reader &r, const QJsonObject &o, const QString &path, const ClusterProfile &p);
// ProfileSectionsAws.cpp (issue 16): services[].cloudMap/.ecs of one service, the keys of one
// "elbv2" load balancer, and the top-level "aws" (read after services and load balancers: it
// is required when they use it, and their ARNs must be in its region).
void readServiceAws(Reader &r, const QJsonObject &so, const QString &path, ServiceSpec &s);
void readElbv2(Reader &r, const QJsonObject &lo, const QString &path, const ClusterProfile &p,
    LoadBalancerSpec &lb);
void readAws(Reader &r, const QJsonObject &root, ClusterProfile &p);

} // namespace hopscope::profileread
