# `cmake --install <build> [--prefix <dir>]`: the public headers, the library (the static
# layer libraries behind the `ratmemcache` target), the server binary and a CMake package,
# so that another project can write
#
#   find_package(ratmemcache 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE ratmemcache::ratmemcache)
#
# Everything is installed relative to the prefix, so the tree can be moved afterwards.
# tests/install/run.sh proves it (ctest -L install).

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(RMC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/ratmemcache)

# Installed consumers find the public headers under <prefix>/include; inside the build
# tree the layers' BUILD_INTERFACE include directories apply instead.
target_include_directories(ratmemcache INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

# The embeddable library is rmc_tiered and the layers below it (docs/architecture.md);
# installed as they are built, each a static library, linked through ratmemcache.
install(TARGETS ratmemcache rmc_tiered rmc_ram rmc_disk rmc_common
        EXPORT ratmemcacheTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ratmemcache
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(TARGETS rat_memcached RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(EXPORT ratmemcacheTargets
        NAMESPACE ratmemcache::
        DESTINATION ${RMC_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ratmemcacheConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/ratmemcacheConfig.cmake
                              INSTALL_DESTINATION ${RMC_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API, so only the same major.minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ratmemcacheConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION}
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ratmemcacheConfig.cmake
              ${PROJECT_BINARY_DIR}/ratmemcacheConfigVersion.cmake
        DESTINATION ${RMC_INSTALL_CMAKEDIR})

if(NOT WIN32)
  # The systemd unit and its configuration file (packaging/): the unit runs the installed
  # binary with <prefix>/etc/ratmemcache/rat_memcached.toml. The unit is written at install
  # time, so that its paths follow `--prefix` (DESTDIR staging does not enter them).
  install(CODE "
    set(RMC_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
    set(RMC_SYSCONFDIR \"\${CMAKE_INSTALL_PREFIX}/etc\")
    configure_file(\"${PROJECT_SOURCE_DIR}/packaging/rat_memcached.service.in\"
                   \"${PROJECT_BINARY_DIR}/rat_memcached.service\" @ONLY)
  ")
  install(FILES ${PROJECT_BINARY_DIR}/rat_memcached.service
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/systemd/system)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/rat_memcached.toml
          DESTINATION etc/ratmemcache)
endif()
